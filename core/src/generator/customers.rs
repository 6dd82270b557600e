//! Customer accounts.

use std::sync::Arc;

use datafusion::arrow::array::{Date32Array, Int64Array, StringArray};
use datafusion::arrow::error::ArrowError;

use super::calendar::{as_of, day};
use super::dice::Dice;
use super::health::Health;
use super::world::{INDUSTRIES, REGIONS, SEGMENTS, company_name};
use super::{GenOptions, TableData, batch};

/// One customer account.
pub struct Customer {
    pub id: i64,
    pub segment: usize,
    pub region: usize,
    pub industry: &'static str,
    pub country: &'static str,
    pub employees: i64,
    pub seats: i64,
    pub acquired_on: i32,
}

/// Customers acquired between three and a half years and one month before
/// the lake's "today".
pub fn generate(options: GenOptions) -> Vec<Customer> {
    let mut dice = Dice::new(options.seed, "customers");
    let n = options.count(20_000.0, 40);
    let segment_weights: Vec<f64> = SEGMENTS.iter().map(|s| s.1).collect();
    let region_weights: Vec<f64> = REGIONS.iter().map(|r| r.1).collect();
    let first = day(2023, 6, 5);
    let last = as_of() - 30;
    (0..n)
        .map(|i| {
            let segment = dice.weighted(&segment_weights);
            let region = dice.weighted(&region_weights);
            let (lo, hi) = SEGMENTS[segment].3;
            let seats = dice.int(lo, hi);
            let industry: &'static str = INDUSTRIES[dice.index(INDUSTRIES.len())];
            let countries = REGIONS[region].2;
            let country: &'static str = countries[dice.index(countries.len())];
            Customer {
                id: i as i64 + 1,
                segment,
                region,
                industry,
                country,
                employees: seats * dice.int(3, 12),
                seats,
                acquired_on: dice.int(i64::from(first), i64::from(last)) as i32,
            }
        })
        .collect()
}

/// The `customers` table; churn dates come from the health simulation.
pub fn table(customers: &[Customer], health: &Health) -> Result<TableData, ArrowError> {
    let rows = batch(
        "customers",
        vec![
            (
                "customer_id",
                Arc::new(Int64Array::from_iter_values(customers.iter().map(|c| c.id))),
            ),
            (
                "name",
                Arc::new(StringArray::from_iter_values(
                    customers.iter().map(|c| company_name(c.id as usize)),
                )),
            ),
            (
                "segment",
                Arc::new(StringArray::from_iter_values(
                    customers.iter().map(|c| SEGMENTS[c.segment].0),
                )),
            ),
            (
                "industry",
                Arc::new(StringArray::from_iter_values(
                    customers.iter().map(|c| c.industry),
                )),
            ),
            (
                "region",
                Arc::new(StringArray::from_iter_values(
                    customers.iter().map(|c| REGIONS[c.region].0),
                )),
            ),
            (
                "country",
                Arc::new(StringArray::from_iter_values(
                    customers.iter().map(|c| c.country),
                )),
            ),
            (
                "employees",
                Arc::new(Int64Array::from_iter_values(
                    customers.iter().map(|c| c.employees),
                )),
            ),
            (
                "acquired_on",
                Arc::new(Date32Array::from_iter_values(
                    customers.iter().map(|c| c.acquired_on),
                )),
            ),
            (
                "churned_on",
                Arc::new(Date32Array::from(health.churned_on.clone())),
            ),
        ],
    )?;
    TableData::new("customers", vec![(None, rows)])
}
