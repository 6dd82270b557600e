//! `lakecast demo`: the embedded default job on a generated demo lake.

use std::path::PathBuf;
use std::process::ExitCode;

use lakecast_core::generator::{self, GENERATOR_VERSION, GenOptions, MARKER_FILE};

use crate::output::{Bar, Format, Sink, finish_io};
use crate::run::{Settings, clean_error, execute, split};
use lakecast_core::examples::{EXAMPLES, title};

/// The demo lake's size: a few hundred customers, a few thousand deals.
const DEMO: GenOptions = GenOptions {
    scale: 0.05,
    seed: 42,
};

/// Builds or reuses the demo lake, then runs every example on it.
pub async fn run(fresh: bool) -> Result<ExitCode, String> {
    let folder = demo_folder()?;
    let lake = folder.to_string_lossy().to_string();
    if fresh || !is_current(&folder).await {
        eprintln!("building the demo lake in {lake} ...");
        let bar = Bar::new();
        generator::generate(&lake, DEMO, true, &bar)
            .await
            .map_err(|e| e.to_string())?;
        bar.done();
    } else {
        eprintln!("using the demo lake in {lake} (--fresh rebuilds it)");
    }
    let (ctx, _) = lakecast_core::open_session(&lake)
        .await
        .map_err(|e| e.to_string())?;
    let settings = Settings {
        format: Format::Table,
        out: None,
        max_rows: 40,
    };
    let mut sink = Sink::open(None)?;
    for (name, sql) in EXAMPLES {
        let heading = format!("\n== {} ({name})\n", title(sql));
        finish_io(sink.write_text(&heading))?;
        for statement in split(sql).map_err(|e| format!("{name}: {e}"))? {
            let batches = execute(&ctx, statement)
                .await
                .map_err(|e| format!("{name}: {}", clean_error(&e)))?;
            let written = sink.write_result(&batches, settings.format, settings.max_rows);
            finish_io(written.and_then(|()| sink.flush()))?;
        }
    }
    let (name, sql) = EXAMPLES
        .iter()
        .find(|(name, _)| name.contains("heatmap"))
        .ok_or("the forecast heatmap example is missing")?;
    let picture = folder.with_file_name("forecast-heatmap.png");
    crate::heatmap::draw(&ctx, sql, name, title(sql), &picture).await?;
    finish_io(sink.write_text(&format!(
        "\nForecast heatmap drawn to {}\nQuery the demo lake yourself: lakecast sql --lake {lake}\n",
        picture.display()
    )))?;
    finish_io(sink.flush())
}

/// `LAKECAST_CACHE_DIR`, else the user's cache folder, plus `lakecast/`.
fn demo_folder() -> Result<PathBuf, String> {
    let base = match std::env::var_os("LAKECAST_CACHE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => dirs::cache_dir()
            .ok_or("no cache folder is known for this user; set LAKECAST_CACHE_DIR")?
            .join("lakecast"),
    };
    Ok(base.join(format!("demo-lake-v{GENERATOR_VERSION}")))
}

/// Whether the folder holds a complete demo lake of this generator version.
async fn is_current(folder: &std::path::Path) -> bool {
    let Ok(text) = std::fs::read_to_string(folder.join(MARKER_FILE)) else {
        return false;
    };
    let Ok(marker) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    let matches = marker["generator_version"] == GENERATOR_VERSION
        && marker["seed"] == DEMO.seed
        && marker["scale"] == DEMO.scale;
    matches
        && lakecast_core::Lake::open(&folder.to_string_lossy())
            .await
            .is_ok()
}
