//! The signal lake contract: which tables a lake holds, their columns, the
//! types those columns may have and what each one means.
//!
//! This module is the single source of truth. `docs/lake-contract.md` is
//! generated from it (`lakecast contract --markdown`), the checker validates
//! lakes against it, and the generator writes exactly these columns.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The logical kind of a column. A kind accepts every physical Arrow type
/// that carries the same meaning, so a lake written by another tool (say,
/// Int32 ids or dictionary-encoded strings) still meets the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any signed or unsigned integer.
    Integer,
    /// A number: floating point, decimal or integer.
    Number,
    /// Text: Utf8, LargeUtf8, Utf8View or a dictionary of those.
    Text,
    /// True / false.
    Boolean,
    /// A calendar date (Date32 or Date64).
    Date,
    /// A point in time, any unit; the generator writes microseconds in UTC.
    Timestamp,
    /// A list of text values, such as capability tags.
    TextList,
}

impl Kind {
    /// The Arrow type the generator writes for this kind.
    pub fn canonical_type(self) -> DataType {
        match self {
            Kind::Integer => DataType::Int64,
            Kind::Number => DataType::Float64,
            Kind::Text => DataType::Utf8,
            Kind::Boolean => DataType::Boolean,
            Kind::Date => DataType::Date32,
            Kind::Timestamp => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
            Kind::TextList => {
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
            }
        }
    }

    /// Whether a physical Arrow type carries this kind of value.
    pub fn accepts(self, data_type: &DataType) -> bool {
        match self {
            Kind::Integer => data_type.is_integer(),
            Kind::Number => {
                data_type.is_floating()
                    || data_type.is_integer()
                    || matches!(
                        data_type,
                        DataType::Decimal128(..) | DataType::Decimal256(..)
                    )
            }
            Kind::Text => is_text(data_type),
            Kind::Boolean => *data_type == DataType::Boolean,
            Kind::Date => matches!(data_type, DataType::Date32 | DataType::Date64),
            Kind::Timestamp => matches!(data_type, DataType::Timestamp(..)),
            Kind::TextList => match data_type {
                DataType::List(item)
                | DataType::LargeList(item)
                | DataType::ListView(item)
                | DataType::LargeListView(item) => is_text(item.data_type()),
                _ => false,
            },
        }
    }
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_text(value),
        _ => false,
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Text => "text",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Timestamp => "timestamp",
            Kind::TextList => "list of text",
        };
        f.write_str(name)
    }
}

/// One column of a contract table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Column name, lower case.
    pub name: &'static str,
    /// What values it may hold.
    pub kind: Kind,
    /// Whether NULL is a legitimate value (and what it means is in `about`).
    pub nullable: bool,
    /// What the column means, for an analyst.
    pub about: &'static str,
}

/// One table of the contract.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// Table name, also the folder name under the lake root.
    pub name: &'static str,
    /// What one row is, for an analyst.
    pub about: &'static str,
    /// The columns, in the order the generator writes them.
    pub columns: &'static [ColumnSpec],
    /// The Hive partition column the generator uses (`name=value` folders),
    /// if any. Lakes written by other tools may partition or not.
    pub partition: Option<&'static str>,
}

impl TableSpec {
    /// Looks a column up by name.
    pub fn column(&self, name: &str) -> Option<&'static ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The schema the generator writes into each file: every column except
    /// the partition column, whose value lives in the folder name.
    pub fn file_schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .filter(|c| Some(c.name) != self.partition)
            .map(|c| Field::new(c.name, c.kind.canonical_type(), c.nullable))
            .collect();
        Arc::new(Schema::new(fields))
    }
}

/// Looks a contract table up by name.
pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

const fn col(
    name: &'static str,
    kind: Kind,
    nullable: bool,
    about: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        nullable,
        about,
    }
}

use Kind::{Boolean, Date, Integer, Number, Text, TextList, Timestamp};

/// Every table of the signal lake, in the order they are documented.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "customers",
        about: "One row per customer account.",
        partition: None,
        columns: &[
            col("customer_id", Integer, false, "Unique customer key."),
            col("name", Text, false, "Account name."),
            col(
                "segment",
                Text,
                false,
                "`Enterprise`, `Mid-Market` or `SMB`.",
            ),
            col("industry", Text, false, "Industry of the account."),
            col(
                "region",
                Text,
                false,
                "Sales and delivery region of the account.",
            ),
            col(
                "country",
                Text,
                false,
                "Country of the account's headquarters.",
            ),
            col("employees", Integer, false, "Head count of the account."),
            col("acquired_on", Date, false, "Date of the first contract."),
            col(
                "churned_on",
                Date,
                true,
                "Date the customer left; NULL while still a customer.",
            ),
        ],
    },
    TableSpec {
        name: "opportunities",
        about: "One row per deal, open or closed. A won deal becomes a delivery \
                project whose `project_id` is the `opportunity_id`.",
        partition: None,
        columns: &[
            col(
                "opportunity_id",
                Integer,
                false,
                "Unique deal key (also the project key).",
            ),
            col(
                "customer_id",
                Integer,
                false,
                "The customer (`customers.customer_id`).",
            ),
            col(
                "owner_id",
                Integer,
                false,
                "The account executive who owns the deal (`members.member_id`).",
            ),
            col("product_line", Text, false, "Product line sold."),
            col(
                "region",
                Text,
                false,
                "Region whose engineers deliver the deal.",
            ),
            col(
                "stage",
                Text,
                false,
                "`Prospecting`, `Qualification`, `Proposal`, `Negotiation` while open; \
                 `Closed Won` or `Closed Lost` once closed.",
            ),
            col("amount", Number, false, "Quoted deal value in USD."),
            col("created_at", Timestamp, false, "When the deal was opened."),
            col(
                "expected_close_date",
                Date,
                false,
                "Close date the rep expects.",
            ),
            col(
                "delivery_cycle",
                Text,
                false,
                "Quarter in which delivery would run, such as `2026-Q3`.",
            ),
            col(
                "closed_at",
                Timestamp,
                true,
                "When the deal closed; NULL while open.",
            ),
            col("won", Boolean, true, "Outcome; NULL while open."),
            col(
                "won_amount",
                Number,
                true,
                "Booked value in USD: the signed amount when won, 0 when lost, NULL \
                 while open.",
            ),
            col(
                "required_tags",
                TextList,
                false,
                "Capability tags the delivery team needs (see `members`).",
            ),
        ],
    },
    TableSpec {
        name: "customer_signals",
        about: "Event stream of customer behaviour: web visits, email engagement and \
                procurement progress.",
        partition: Some("month"),
        columns: &[
            col("event_id", Integer, false, "Unique event key."),
            col("customer_id", Integer, false, "The customer."),
            col(
                "opportunity_id",
                Integer,
                true,
                "The deal the event belongs to; NULL for events outside a deal.",
            ),
            col("event_time", Timestamp, false, "When it happened."),
            col(
                "event_type",
                Text,
                false,
                "`page_view`, `email_sent`, `email_click`, `meeting`, `legal_review` \
                 (the customer's legal team started reviewing the contract) or \
                 `contract_sent`.",
            ),
            col(
                "page",
                Text,
                true,
                "For `page_view`: `spec_sheet`, `pricing`, `docs`, `case_study` or \
                 `blog`; NULL otherwise.",
            ),
            col(
                "dwell_seconds",
                Number,
                true,
                "For `page_view`: seconds on the page; NULL otherwise.",
            ),
            col(
                "month",
                Text,
                false,
                "Month of `event_time`, `YYYY-MM` (partition).",
            ),
        ],
    },
    TableSpec {
        name: "rep_activity",
        about: "One row per account executive per working day.",
        partition: None,
        columns: &[
            col("rep_id", Integer, false, "The rep (`members.member_id`)."),
            col("activity_date", Date, false, "The working day."),
            col(
                "accounts_touched",
                Integer,
                false,
                "Distinct accounts worked that day.",
            ),
            col("emails_sent", Integer, false, "Emails sent that day."),
            col("calls", Integer, false, "Calls made that day."),
            col(
                "avg_response_minutes",
                Number,
                false,
                "Mean minutes to answer a customer message that day.",
            ),
        ],
    },
    TableSpec {
        name: "resource_capacity",
        about: "Delivery engineering capacity per region per week.",
        partition: None,
        columns: &[
            col("region", Text, false, "Delivery region."),
            col("week_start", Date, false, "Monday of the week."),
            col(
                "delivery_cycle",
                Text,
                false,
                "Quarter of the week, such as `2026-Q3`.",
            ),
            col("engineers", Integer, false, "Delivery engineers on staff."),
            col("capacity_hours", Number, false, "Engineer hours available."),
            col(
                "booked_hours",
                Number,
                false,
                "Engineer hours already booked.",
            ),
        ],
    },
    TableSpec {
        name: "members",
        about: "People who sell and deliver: reps, engineers, success managers.",
        partition: None,
        columns: &[
            col("member_id", Integer, false, "Unique person key."),
            col("name", Text, false, "Full name."),
            col(
                "role",
                Text,
                false,
                "`account_executive`, `solutions_engineer`, `delivery_engineer`, \
                 `customer_success` or `project_manager`.",
            ),
            col("region", Text, false, "Home region."),
            col(
                "hard_skills",
                TextList,
                false,
                "Capability tags: technical skills.",
            ),
            col(
                "soft_skills",
                TextList,
                false,
                "Capability tags: soft skills.",
            ),
            col("weekly_hours", Number, false, "Hours available per week."),
            col(
                "booked_hours",
                Number,
                false,
                "Hours per week already committed.",
            ),
        ],
    },
    TableSpec {
        name: "project_grants",
        about: "Who may see a project's data, and until when (precise to the hour).",
        partition: None,
        columns: &[
            col("grant_id", Integer, false, "Unique grant key."),
            col("member_id", Integer, false, "The person granted access."),
            col(
                "project_id",
                Integer,
                false,
                "The project (an `opportunity_id`).",
            ),
            col("granted_at", Timestamp, false, "When access starts."),
            col(
                "expires_at",
                Timestamp,
                false,
                "When access ends (on the hour).",
            ),
            col(
                "revoked_at",
                Timestamp,
                true,
                "When access was revoked early, if it was.",
            ),
            col("granted_by", Text, false, "Who granted it."),
        ],
    },
    TableSpec {
        name: "customer_usage",
        about: "Weekly product usage and relationship signals per customer: the raw \
                material of the health score.",
        partition: None,
        columns: &[
            col("customer_id", Integer, false, "The customer."),
            col("week_start", Date, false, "Monday of the week."),
            col(
                "device_uptime_pct",
                Number,
                false,
                "Share of device time up, 0-100.",
            ),
            col("api_calls", Integer, false, "API calls that week."),
            col(
                "active_users",
                Integer,
                false,
                "Distinct users active that week.",
            ),
            col(
                "licensed_seats",
                Integer,
                false,
                "Seats the customer pays for.",
            ),
            col(
                "feature_adoption_pct",
                Number,
                false,
                "Share of licensed features used, 0-100.",
            ),
            col(
                "training_completion_pct",
                Number,
                false,
                "Share of users who finished onboarding training, 0-100.",
            ),
            col(
                "community_posts",
                Integer,
                false,
                "Posts in the user community.",
            ),
            col(
                "login_days",
                Integer,
                false,
                "Days with at least one login, 0-7.",
            ),
            col(
                "nps",
                Integer,
                true,
                "Net-promoter answer 0-10; NULL when not surveyed.",
            ),
            col(
                "invoice_days_late",
                Integer,
                false,
                "Days the oldest open invoice is late.",
            ),
            col(
                "exec_meetings",
                Integer,
                false,
                "Executive sponsor meetings that week.",
            ),
        ],
    },
    TableSpec {
        name: "service_tickets",
        about: "Support tickets.",
        partition: None,
        columns: &[
            col("ticket_id", Integer, false, "Unique ticket key."),
            col("customer_id", Integer, false, "The customer."),
            col("opened_at", Timestamp, false, "When the ticket was opened."),
            col(
                "severity",
                Text,
                false,
                "`low`, `medium`, `high` or `critical`.",
            ),
            col(
                "first_response_minutes",
                Number,
                false,
                "Minutes until support first answered.",
            ),
            col(
                "resolved_at",
                Timestamp,
                true,
                "When it was resolved; NULL while open.",
            ),
            col(
                "csat",
                Integer,
                true,
                "Satisfaction 1-5; NULL when not answered.",
            ),
        ],
    },
    TableSpec {
        name: "transactions",
        about: "Purchases (orders, add-ons, renewals): the input of lifetime-value \
                models.",
        partition: None,
        columns: &[
            col("transaction_id", Integer, false, "Unique transaction key."),
            col("customer_id", Integer, false, "The customer."),
            col("transaction_date", Date, false, "Date of the purchase."),
            col("amount", Number, false, "Value in USD."),
        ],
    },
    TableSpec {
        name: "signal_weights",
        about: "The signal canvas: versioned forecast rules. Version N is in force \
                from its `effective_from` until version N+1 starts.",
        partition: None,
        columns: &[
            col(
                "rule_id",
                Text,
                false,
                "Stable rule key, such as `dwell_over_120s`.",
            ),
            col(
                "signal",
                Text,
                false,
                "Deal feature the rule reads: `spec_page_views`, `max_dwell_seconds`, \
                 `email_click_rate`, `legal_review`, `rep_accounts_per_day` or \
                 `delivery_slack`.",
            ),
            col("operator", Text, false, "`>`, `>=`, `<`, `<=` or `=`."),
            col(
                "threshold",
                Number,
                false,
                "Value the signal is compared with.",
            ),
            col(
                "lift",
                Number,
                false,
                "Odds lift when the rule holds: 0.15 means +15%, -0.22 means -22%.",
            ),
            col(
                "version",
                Integer,
                false,
                "Canvas version the row belongs to.",
            ),
            col(
                "effective_from",
                Timestamp,
                false,
                "When this version takes effect.",
            ),
            col(
                "changed_by",
                Text,
                false,
                "Who wrote this version of the rule.",
            ),
            col("note", Text, true, "Why the rule changed."),
        ],
    },
    TableSpec {
        name: "forecast_snapshots",
        about: "Every forecast ever made: each open deal at each month end.",
        partition: Some("snapshot_date"),
        columns: &[
            col(
                "snapshot_date",
                Date,
                false,
                "Month end the forecast was taken (partition).",
            ),
            col("opportunity_id", Integer, false, "The deal."),
            col("stage", Text, false, "Stage at the snapshot."),
            col(
                "win_probability",
                Number,
                false,
                "Forecast probability of winning.",
            ),
            col(
                "forecast_amount",
                Number,
                false,
                "Value the deal was forecast to book.",
            ),
            col(
                "expected_close_date",
                Date,
                false,
                "Close date expected at the snapshot.",
            ),
            col(
                "canvas_version",
                Integer,
                false,
                "Signal canvas version used.",
            ),
        ],
    },
];

/// Renders the contract as the Markdown page `docs/lake-contract.md`.
pub fn to_markdown() -> String {
    let mut out = String::from(
        "# The signal lake contract\n\n\
         Generated from `core/src/contract.rs` by `lakecast contract --markdown`; \
         edit the code, not this page.\n\n\
         A lake is a folder (or object-store prefix) with one sub-folder per table \
         below, holding Parquet files. A table may be Hive-partitioned \
         (`customer_signals/month=2026-01/part-0.parquet`): the folder names then \
         supply the partition column. Extra columns are allowed and kept; the \
         columns below must be present with a type of the listed kind.\n\n\
         | kind | accepted Parquet / Arrow types |\n|---|---|\n\
         | integer | any signed or unsigned integer |\n\
         | number | floating point, decimal or integer |\n\
         | text | string, large string, string view, dictionary of strings |\n\
         | boolean | boolean |\n\
         | date | date32, date64 |\n\
         | timestamp | timestamp of any unit, with or without time zone |\n\
         | list of text | list or large list of text |\n",
    );
    for table in TABLES {
        out.push_str(&format!("\n## `{}`\n\n{}\n\n", table.name, table.about));
        if let Some(part) = table.partition {
            out.push_str(&format!("Written partitioned by `{part}`.\n\n"));
        }
        out.push_str("| column | kind | NULL allowed | meaning |\n|---|---|---|---|\n");
        for c in table.columns {
            let nullable = if c.nullable { "yes" } else { "no" };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                c.name, c.kind, nullable, c.about
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_accept_their_canonical_type_and_reject_others() {
        let all = [Integer, Number, Text, Boolean, Date, Timestamp, TextList];
        for kind in all {
            assert!(kind.accepts(&kind.canonical_type()), "{kind}");
        }
        assert!(Text.accepts(&DataType::Utf8View));
        assert!(Text.accepts(&DataType::Dictionary(
            Box::new(DataType::Int32),
            Box::new(DataType::Utf8)
        )));
        assert!(!Integer.accepts(&DataType::Float64));
        assert!(Number.accepts(&DataType::Decimal128(12, 2)));
        assert!(!Date.accepts(&DataType::Utf8));
        assert!(!TextList.accepts(&DataType::Utf8));
    }

    #[test]
    fn table_and_column_names_are_unique() {
        let mut names: Vec<_> = TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLES.len());
        for t in TABLES {
            let mut cols: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            cols.sort_unstable();
            cols.dedup();
            assert_eq!(cols.len(), t.columns.len(), "{}", t.name);
            if let Some(p) = t.partition {
                assert!(t.column(p).is_some(), "{}: partition {p}", t.name);
            }
        }
    }

    #[test]
    fn committed_contract_page_matches_the_code() {
        let page = include_str!("../../docs/lake-contract.md");
        assert_eq!(
            page,
            to_markdown(),
            "docs/lake-contract.md is stale: run `lakecast contract --markdown > \
             docs/lake-contract.md`"
        );
    }
}
