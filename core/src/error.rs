//! Errors a user can cause, each worded to say what is wrong and where.

use datafusion::error::DataFusionError;

use crate::check::Problem;

/// Everything that can go wrong opening, checking or writing a lake.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// The lake location could not be understood.
    #[error("cannot use lake location `{location}`: {reason}")]
    InvalidLocation {
        /// The location as given.
        location: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The lake folder does not exist.
    #[error(
        "no lake at `{location}`: the folder does not exist (create one with `lakecast gen --out {location}`)"
    )]
    NotFound {
        /// The location as given.
        location: String,
    },
    /// The lake exists but does not meet the contract.
    #[error("{}", contract_message(.location, .problems))]
    Contract {
        /// The location as given.
        location: String,
        /// One entry per problem found.
        problems: Vec<Problem>,
    },
    /// Reading or writing the object store failed.
    #[error("{action} `{path}`: {source}")]
    Store {
        /// What was being done.
        action: &'static str,
        /// The object or folder involved.
        path: String,
        /// The store's error.
        source: object_store::Error,
    },
    /// Writing a Parquet file failed.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file being written.
        path: String,
        /// The writer's error.
        source: datafusion::parquet::errors::ParquetError,
    },
    /// An engine error while registering tables.
    #[error(transparent)]
    Engine(#[from] DataFusionError),
}

fn contract_message(location: &str, problems: &[Problem]) -> String {
    let mut message = format!(
        "the lake at `{location}` does not meet the contract ({} problem{}):",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for problem in problems {
        message.push_str("\n  ");
        message.push_str(&problem.to_string());
    }
    message
}
