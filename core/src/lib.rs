//! Lakecast's engine: the signal lake contract, opening and checking lakes,
//! the demo-lake generator, and the one function that builds a session with
//! every Lakecast SQL function registered.

pub mod access;
pub mod check;
pub mod contract;
pub mod engine;
pub mod error;
pub mod examples;
pub mod generator;
pub mod lake;
pub mod location;
pub mod rules;
pub mod stores;
pub mod subqueries;

pub use datafusion;
pub use engine::{new_session, open_session};
pub use error::LakeError;
pub use lake::Lake;
