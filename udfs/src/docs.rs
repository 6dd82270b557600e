//! A small builder for the documentation every function carries: it feeds
//! `SHOW FUNCTIONS`, `information_schema.routines`, `lakecast functions`
//! and the generated reference page.

use datafusion::logical_expr::{DocSection, Documentation};

/// Documentation with a description, syntax, argument meanings and an
/// example (the query and its result).
pub fn doc(
    section: DocSection,
    description: &str,
    syntax: &str,
    arguments: &[(&str, &str)],
    example: &str,
) -> Documentation {
    let mut builder = Documentation::builder(section, description, syntax);
    for (name, about) in arguments {
        builder = builder.with_argument(*name, *about);
    }
    builder.with_sql_example(example).build()
}
