//! The generator is deterministic: the same seed and scale give identical
//! files, another seed gives other data.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test here

use std::collections::BTreeMap;
use std::path::Path;

use lakecast_core::generator::{GenOptions, Silent, generate};

fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

async fn lake(options: GenOptions) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    generate(&dir.path().to_string_lossy(), options, false, &Silent)
        .await
        .unwrap();
    let contents = files(dir.path());
    (dir, contents)
}

#[tokio::test]
async fn same_seed_and_scale_give_identical_files() {
    let options = GenOptions {
        scale: 0.01,
        seed: 7,
    };
    let (_a, first) = lake(options).await;
    let (_b, second) = lake(options).await;
    assert!(first.len() > 12, "expected a file per table at least");
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(bytes == &second[name], "{name} differs between two runs");
    }
}

#[tokio::test]
async fn another_seed_gives_other_data() {
    let (_a, first) = lake(GenOptions {
        scale: 0.01,
        seed: 7,
    })
    .await;
    let (_b, second) = lake(GenOptions {
        scale: 0.01,
        seed: 8,
    })
    .await;
    let name = "opportunities/part-00000.parquet";
    assert_ne!(first[name], second[name]);
}

#[tokio::test]
async fn invalid_scales_are_refused_with_the_value() {
    let dir = tempfile::tempdir().unwrap();
    for scale in [0.0, -1.0, f64::NAN, 1e6] {
        let err = generate(
            &dir.path().to_string_lossy(),
            GenOptions { scale, seed: 1 },
            true,
            &Silent,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains("--scale"), "{err}");
    }
}

#[tokio::test]
async fn a_non_empty_folder_is_not_overwritten_without_replace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "keep me").unwrap();
    let err = generate(
        &dir.path().to_string_lossy(),
        GenOptions {
            scale: 0.01,
            seed: 1,
        },
        false,
        &Silent,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("not empty") && err.contains("--replace"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "keep me"
    );
}
