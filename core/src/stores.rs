//! The object stores a session can read: the local file system, and S3
//! buckets created on first use from the standard AWS environment
//! variables, so a query, a cluster executor or a scheduler can reach any
//! `s3://` lake without being told about it first.

use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::object_store::{
    DefaultObjectStoreRegistry, ObjectStoreRegistry,
};
use object_store::ObjectStore;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use url::Url;

/// An S3 (or S3-compatible) store for `bucket`, configured by the standard
/// AWS environment variables (`AWS_ENDPOINT_URL`, `AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the others
/// `object_store` reads). An endpoint given as `http://` may be plain HTTP,
/// as local S3 servers are.
pub fn s3_store(bucket: &str) -> Result<AmazonS3, object_store::Error> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
        .iter()
        .find_map(|name| std::env::var(name).ok());
    if endpoint.is_some_and(|e| e.starts_with("http://")) {
        builder = builder.with_allow_http(true);
    }
    builder.build()
}

/// The object-store registry of every Lakecast session: DataFusion's
/// default one, which also creates an S3 store for an `s3://` URL it has
/// not seen yet.
#[derive(Debug, Default)]
pub struct LakeStores {
    known: DefaultObjectStoreRegistry,
}

impl ObjectStoreRegistry for LakeStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.known.register_store(url, store)
    }

    fn deregister_store(
        &self,
        url: &Url,
    ) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.known.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.known.get_store(url) {
            return Ok(store);
        }
        let bucket = url.host_str().unwrap_or_default();
        if url.scheme() != "s3" || bucket.is_empty() {
            return self.known.get_store(url);
        }
        let store: Arc<dyn ObjectStore> = Arc::new(
            s3_store(bucket).map_err(|e| DataFusionError::ObjectStore(Box::new(e)))?,
        );
        tracing::debug!(bucket, "S3 store created from the environment");
        let base = Url::parse(&format!("s3://{bucket}/"))
            .map_err(|e| DataFusionError::Configuration(e.to_string()))?;
        self.known.register_store(&base, Arc::clone(&store));
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_files_and_s3_buckets_resolve() {
        let stores = LakeStores::default();
        assert!(
            stores
                .get_store(&Url::parse("file:///tmp").unwrap())
                .is_ok()
        );
        let a = stores
            .get_store(&Url::parse("s3://sales/x").unwrap())
            .unwrap();
        let b = stores
            .get_store(&Url::parse("s3://sales/y").unwrap())
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b), "one store per bucket");
        assert!(stores.get_store(&Url::parse("gs://x/").unwrap()).is_err());
    }
}
