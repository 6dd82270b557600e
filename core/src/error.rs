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
    #[error("{action} `{path}`: {}", store_reason(.source))]
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

/// The part of an object-store error a user can act on: for S3 the error
/// code and message of the response (`NoSuchBucket: ...`), and a hint when
/// no credentials were found at all; otherwise the store's whole message.
fn store_reason(error: &object_store::Error) -> String {
    let text = error.to_string();
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = start + text[start..].find(&format!("</{name}>"))?;
        Some(text[start..end].to_string())
    };
    if let Some(code) = tag("Code") {
        let message = tag("Message").unwrap_or_default();
        return format!("{code}: {message}")
            .trim_end_matches([' ', ':'])
            .to_string();
    }
    if text.contains("169.254.169.254") {
        return "no AWS credentials found: set AWS_ACCESS_KEY_ID and \
                AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a store other than AWS)"
            .to_string();
    }
    text
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

#[cfg(test)]
mod tests {
    use super::*;

    fn store(message: &str) -> LakeError {
        LakeError::Store {
            action: "cannot list",
            path: "s3://b/lake/".into(),
            source: object_store::Error::Generic {
                store: "S3",
                source: message.into(),
            },
        }
    }

    #[test]
    fn s3_errors_keep_their_code_and_message() {
        let xml = "403 Forbidden: <?xml version=\"1.0\"?><Error><Code>InvalidAccessKeyId</Code>\
                   <Message>The key does not exist.</Message></Error>";
        assert_eq!(
            store(xml).to_string(),
            "cannot list `s3://b/lake/`: InvalidAccessKeyId: The key does not exist."
        );
        let metadata = "Error performing PUT http://169.254.169.254/latest/api/token";
        assert!(
            store(metadata)
                .to_string()
                .contains("no AWS credentials found")
        );
        assert!(store("disk full").to_string().ends_with("disk full"));
    }
}
