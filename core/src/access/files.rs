//! Small durable files: read a JSON document, replace it atomically, and
//! hold the folder's lock while a change is read, made and written.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AccessError;

fn io_error(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> AccessError {
    let path = path.to_path_buf();
    move |source| AccessError::Io {
        action,
        path,
        source,
    }
}

/// Reads a JSON document; a missing file is the default value.
pub(crate) fn read_json<T: DeserializeOwned + Default>(
    path: &Path,
) -> Result<T, AccessError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => return Err(io_error("cannot read", path)(e)),
    };
    serde_json::from_str(&text).map_err(|e| AccessError::Damaged {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Replaces `path` with `value` as JSON: written to a temporary file,
/// flushed to disk, then renamed over the old one, so a reader sees either
/// the old document or the new one, never half of one.
pub(crate) fn write_json<T: Serialize>(
    path: &Path,
    value: &T,
) -> Result<(), AccessError> {
    let mut text =
        serde_json::to_vec_pretty(value).map_err(|e| AccessError::Damaged {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    text.push(b'\n');
    let temporary = path.with_extension("json.new");
    let mut file =
        File::create(&temporary).map_err(io_error("cannot write", &temporary))?;
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(io_error("cannot write", &temporary))?;
    std::fs::rename(&temporary, path).map_err(io_error("cannot replace", path))?;
    sync_parent(path)
}

/// Flushes a folder's entry list, so a rename in it survives a crash.
pub(crate) fn sync_parent(path: &Path) -> Result<(), AccessError> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error("cannot flush", parent))
}

/// An exclusive lock on the system folder, released when dropped. Two
/// processes changing users or grants at once take turns, so neither
/// change is lost.
pub(crate) struct FolderLock(File);

impl FolderLock {
    pub(crate) fn take(root: &Path) -> Result<Self, AccessError> {
        let path = root.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_error("cannot open", &path))?;
        file.lock().map_err(io_error("cannot lock", &path))?;
        Ok(Self(file))
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Closing the file releases the lock as well; unlocking first only
        // makes the release independent of when the handle is closed.
        let _ = self.0.unlock();
    }
}
