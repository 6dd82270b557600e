//! Where a lake lives: a local folder or an object-store URL, resolved to an
//! object store plus a prefix inside it.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use datafusion::datasource::listing::ListingTableUrl;
use datafusion::execution::object_store::ObjectStoreUrl;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use url::Url;

use crate::error::LakeError;

/// A resolved lake location.
#[derive(Debug, Clone)]
pub struct LakeLocation {
    /// What the user typed, used in messages.
    display: String,
    /// `file:///abs/path/` or `s3://bucket/prefix/`, always ending in `/`.
    url: Url,
    /// The local folder, for lakes on the local file system.
    local_root: Option<PathBuf>,
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

impl LakeLocation {
    /// Resolves a folder path or URL. The location need not exist yet (the
    /// generator creates it); [`LakeLocation::require_exists`] checks that.
    pub fn parse(location: &str) -> Result<Self, LakeError> {
        let invalid = |reason: String| LakeError::InvalidLocation {
            location: location.to_string(),
            reason,
        };
        if location.trim().is_empty() {
            return Err(invalid("the lake location is empty".into()));
        }
        match Url::parse(location) {
            Ok(url) if url.scheme() == "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|()| invalid("not a usable file:// URL".into()))?;
                Self::local(location, &path)
            }
            Ok(url) if url.scheme() == "s3" => Self::s3(location, url),
            // A one-letter scheme is a Windows drive, not a URL.
            Ok(url) if url.scheme().len() > 1 => Err(invalid(format!(
                "object stores of scheme `{}` are not supported; use a local folder \
                 or an s3:// URL",
                url.scheme()
            ))),
            _ => Self::local(location, FsPath::new(location)),
        }
    }

    fn local(display: &str, path: &FsPath) -> Result<Self, LakeError> {
        let absolute =
            std::path::absolute(path).map_err(|e| LakeError::InvalidLocation {
                location: display.to_string(),
                reason: e.to_string(),
            })?;
        let mut url = Url::from_directory_path(&absolute).map_err(|()| {
            LakeError::InvalidLocation {
                location: display.to_string(),
                reason: "not an absolute folder path".into(),
            }
        })?;
        url.set_query(None);
        let prefix = Path::from_absolute_path(&absolute).map_err(|e| {
            LakeError::InvalidLocation {
                location: display.to_string(),
                reason: e.to_string(),
            }
        })?;
        Ok(Self {
            display: display.to_string(),
            url,
            local_root: Some(absolute),
            store: Arc::new(LocalFileSystem::new()),
            prefix,
        })
    }

    /// An S3 (or S3-compatible) lake; see [`crate::stores::s3_store`] for
    /// how it is configured.
    fn s3(display: &str, mut url: Url) -> Result<Self, LakeError> {
        let invalid = |reason: String| LakeError::InvalidLocation {
            location: display.to_string(),
            reason,
        };
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| {
                invalid("an s3:// URL needs a bucket: s3://BUCKET/PREFIX".into())
            })?
            .to_string();
        let store = crate::stores::s3_store(&bucket)
            .map_err(|e| invalid(format!("cannot configure S3: {e}")))?;
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url.set_query(None);
        url.set_fragment(None);
        let prefix = Path::parse(url.path().trim_matches('/'))
            .map_err(|e| invalid(format!("not a usable object path: {e}")))?;
        Ok(Self {
            display: display.to_string(),
            url,
            local_root: None,
            store: Arc::new(store),
            prefix,
        })
    }

    /// Fails with [`LakeError::NotFound`] when the lake folder is missing (a
    /// local folder that does not exist, or nothing under an object-store
    /// prefix), and with the store's own error when the store cannot be
    /// read at all (a missing bucket, refused credentials).
    pub async fn require_exists(&self) -> Result<(), LakeError> {
        let missing = || LakeError::NotFound {
            location: self.display.clone(),
        };
        match &self.local_root {
            Some(root) if !root.is_dir() => Err(missing()),
            Some(_) => Ok(()),
            None => {
                let first = self.store.list(Some(&self.prefix)).try_next().await;
                match first.map_err(|source| self.store_error("cannot list", source))? {
                    Some(_) => Ok(()),
                    None => Err(missing()),
                }
            }
        }
    }

    /// Whether anything is stored under the lake's prefix.
    pub async fn is_occupied(&self) -> Result<bool, LakeError> {
        let first = self.store.list(Some(&self.prefix)).try_next().await;
        Ok(first
            .map_err(|source| self.store_error("cannot list", source))?
            .is_some())
    }

    fn store_error(
        &self,
        action: &'static str,
        source: object_store::Error,
    ) -> LakeError {
        LakeError::Store {
            action,
            path: self.url.to_string(),
            source,
        }
    }

    /// The location as the user gave it.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The local folder, when the lake is on the local file system.
    pub fn local_root(&self) -> Option<&FsPath> {
        self.local_root.as_deref()
    }

    /// The object store holding the lake.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The URL DataFusion uses to find the store.
    pub fn object_store_url(&self) -> ObjectStoreUrl {
        let base = &self.url[..url::Position::BeforePath];
        ObjectStoreUrl::parse(base).expect("a parsed URL's scheme and host form a URL")
    }

    /// The object path of `relative` (slash separated) inside the lake.
    pub fn path(&self, relative: &str) -> Path {
        relative
            .split('/')
            .filter(|p| !p.is_empty())
            .fold(self.prefix.clone(), |path, part| path.join(part))
    }

    /// The listing URL of a table folder.
    pub fn table_url(&self, table: &str) -> Result<ListingTableUrl, LakeError> {
        let url = self.url.join(&format!("{table}/")).map_err(|e| {
            LakeError::InvalidLocation {
                location: self.display.clone(),
                reason: e.to_string(),
            }
        })?;
        ListingTableUrl::parse(url.as_str()).map_err(|e| LakeError::InvalidLocation {
            location: self.display.clone(),
            reason: e.to_string(),
        })
    }

    /// How an object is named in messages: a file-system path for local
    /// lakes, a URL otherwise.
    pub fn describe(&self, object: &Path) -> String {
        match &self.local_root {
            Some(_) => format!("/{object}"),
            None => format!("{}{}", &self.url[..url::Position::BeforePath], object),
        }
    }

    /// Every object under `prefix`, or an error naming the folder.
    pub async fn list(&self, prefix: &Path) -> Result<Vec<ObjectMeta>, LakeError> {
        self.store
            .list(Some(prefix))
            .try_collect()
            .await
            .map_err(|source| LakeError::Store {
                action: "cannot list",
                path: self.describe(prefix),
                source,
            })
    }

    /// Writes an object, or fails naming it.
    pub async fn put(&self, path: &Path, bytes: Vec<u8>) -> Result<(), LakeError> {
        self.store
            .put(path, bytes.into())
            .await
            .map(|_| ())
            .map_err(|source| LakeError::Store {
                action: "cannot write",
                path: self.describe(path),
                source,
            })
    }

    /// The part of an object path below the lake root.
    pub fn relative(&self, object: &Path) -> Vec<String> {
        object
            .prefix_match(&self.prefix)
            .map(|parts| parts.map(|p| p.as_ref().to_string()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_and_file_urls_resolve_to_the_same_folder() {
        let a = LakeLocation::parse("/tmp/some lake").unwrap();
        let b = LakeLocation::parse("file:///tmp/some%20lake").unwrap();
        assert_eq!(a.local_root(), b.local_root());
        assert_eq!(a.path("customers").to_string(), "tmp/some lake/customers");
        assert_eq!(a.object_store_url().as_str(), "file:///");
    }

    #[test]
    fn s3_urls_name_a_bucket_and_a_prefix() {
        let lake = LakeLocation::parse("s3://sales/lakes/prod").unwrap();
        assert_eq!(lake.local_root(), None);
        assert_eq!(lake.object_store_url().as_str(), "s3://sales/");
        assert_eq!(lake.path("deals").to_string(), "lakes/prod/deals");
        assert_eq!(
            lake.table_url("deals").unwrap().as_str(),
            "s3://sales/lakes/prod/deals/"
        );
        let err = LakeLocation::parse("s3:///lake").unwrap_err().to_string();
        assert!(err.contains("needs a bucket"), "{err}");
    }

    #[test]
    fn unsupported_schemes_and_empty_locations_are_refused_with_a_reason() {
        let err = LakeLocation::parse("gs://bucket/lake")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("gs://bucket/lake") && err.contains("`gs`"),
            "{err}"
        );
        assert!(LakeLocation::parse("  ").is_err());
    }
}
