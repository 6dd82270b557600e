//! `lakecast functions` and `lakecast contract`: the catalogue read from the
//! functions' own documentation and the lake contract read from the code.

use std::process::ExitCode;

use lakecast_udfs::{CatalogueEntry as Entry, catalogue};

use crate::output::print_text;

/// Prints the catalogue as text or as the Markdown reference page.
pub fn print(markdown: bool) -> Result<ExitCode, String> {
    let entries = catalogue();
    let text = if markdown {
        to_markdown(&entries)
    } else {
        to_text(&entries)
    };
    print_text(&text)
}

fn to_text(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return "Lakecast adds no SQL functions in this build.\n".into();
    }
    let mut out = String::new();
    let mut section = "";
    for e in entries {
        let Some(doc) = &e.doc else { continue };
        if doc.doc_section.label != section {
            section = doc.doc_section.label;
            out.push_str(&format!("\n{section}\n{}\n", "=".repeat(section.len())));
        }
        let kind = if e.aggregate { "  (aggregate)" } else { "" };
        out.push_str(&format!(
            "\n{}{kind}\n    {}\n",
            doc.syntax_example, doc.description
        ));
        for (name, about) in doc.arguments.iter().flatten() {
            out.push_str(&format!("    {name}: {about}\n"));
        }
    }
    out
}

fn to_markdown(entries: &[Entry]) -> String {
    let mut out = String::from(
        "# SQL function reference\n\n\
         Generated from the functions' own documentation by \
         `lakecast functions --markdown`; edit the code in `udfs/`, not this page.\n\n\
         NULL rule: a NULL in any required argument of a scalar function gives NULL; \
         aggregates skip rows whose inputs are NULL. A value outside a function's \
         domain is an error naming the function, the argument and the value.\n",
    );
    let mut section = "";
    for e in entries {
        let Some(doc) = &e.doc else { continue };
        if doc.doc_section.label != section {
            section = doc.doc_section.label;
            out.push_str(&format!("\n## {section}\n"));
        }
        let kind = if e.aggregate { " (aggregate)" } else { "" };
        out.push_str(&format!(
            "\n### `{}`{kind}\n\n{}\n\n",
            e.name, doc.description
        ));
        out.push_str(&format!("```sql\n{}\n```\n", doc.syntax_example));
        if let Some(args) = &doc.arguments {
            out.push_str("\n| argument | meaning |\n|---|---|\n");
            for (name, about) in args {
                out.push_str(&format!("| `{name}` | {} |\n", about.replace('\n', " ")));
            }
        }
        if let Some(example) = &doc.sql_example {
            out.push_str(&format!("\nExample:\n\n```text\n{}\n```\n", example.trim()));
        }
    }
    out
}

/// The contract as plain text for the terminal.
pub fn contract_text() -> String {
    let mut out = String::new();
    for table in lakecast_core::contract::TABLES {
        out.push_str(&format!("{}: {}\n", table.name, table.about));
        for c in table.columns {
            let null = if c.nullable { ", NULL allowed" } else { "" };
            out.push_str(&format!("  {:<26} {}{null}. {}\n", c.name, c.kind, c.about));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_function_reference_matches_the_code() {
        let page = include_str!("../../docs/functions.md");
        assert!(
            page == to_markdown(&catalogue()),
            "docs/functions.md is stale: run `lakecast functions --markdown > docs/functions.md`"
        );
    }

    #[test]
    fn every_function_has_a_description_arguments_and_an_example() {
        let entries = catalogue();
        assert!(entries.len() >= 20, "{} functions", entries.len());
        for e in &entries {
            let doc = e
                .doc
                .as_ref()
                .unwrap_or_else(|| panic!("{} has no docs", e.name));
            assert!(doc.description.len() > 20, "{}", e.name);
            assert!(
                doc.arguments.as_ref().is_some_and(|a| !a.is_empty()),
                "{}",
                e.name
            );
            let example = doc.sql_example.as_deref().unwrap_or("");
            assert!(
                example.contains(&e.name),
                "{} example does not call it",
                e.name
            );
        }
    }
}
