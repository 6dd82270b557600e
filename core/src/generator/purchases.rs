//! Purchases from a buy-till-you-die process: while alive a customer buys
//! at a Poisson rate; after each repeat purchase it drops out for good with
//! probability p (BG/NBD). Spend per purchase is Gamma-Gamma.

use std::sync::Arc;

use datafusion::arrow::array::{Date32Array, Float64Array, Int64Array};
use datafusion::arrow::error::ArrowError;

use super::calendar::as_of;
use super::customers::Customer;
use super::dice::Dice;
use super::truth::{BGNBD, GAMMA_GAMMA};
use super::{GenOptions, TableData, batch};

/// Transactions, in customer then time order.
pub struct Purchases {
    customer: Vec<i64>,
    date: Vec<i32>,
    amount: Vec<f64>,
}

pub fn generate(options: GenOptions, customers: &[Customer]) -> Purchases {
    let mut dice = Dice::new(options.seed, "purchases");
    let (r, alpha, a, b) = BGNBD;
    let (p, q, gamma) = GAMMA_GAMMA;
    let mut out = Purchases {
        customer: Vec::new(),
        date: Vec::new(),
        amount: Vec::new(),
    };
    for c in customers {
        let rate_per_week = dice.gamma(r, 1.0 / alpha);
        let dropout = dice.beta(a, b);
        let nu = dice.gamma(q, 1.0 / gamma);
        let spend = |dice: &mut Dice| (dice.gamma(p, 1.0 / nu) * 100.0).round() / 100.0;

        // The first purchase is the acquisition; repeats follow while alive.
        let mut week = 0.0;
        let end_weeks = f64::from(as_of() - c.acquired_on) / 7.0;
        out.push(c.id, c.acquired_on, spend(&mut dice));
        loop {
            week += -dice.unit().max(1e-12).ln() / rate_per_week.max(1e-9);
            if week >= end_weeks {
                break;
            }
            let day = c.acquired_on + (week * 7.0) as i32;
            out.push(c.id, day, spend(&mut dice));
            if dice.chance(dropout) {
                break;
            }
        }
    }
    out
}

impl Purchases {
    fn push(&mut self, customer: i64, date: i32, amount: f64) {
        self.customer.push(customer);
        self.date.push(date);
        self.amount.push(amount);
    }

    pub fn table(&self) -> Result<TableData, ArrowError> {
        let rows = batch(
            "transactions",
            vec![
                (
                    "transaction_id",
                    Arc::new(Int64Array::from_iter_values(
                        1..=self.customer.len() as i64,
                    )),
                ),
                (
                    "customer_id",
                    Arc::new(Int64Array::from(self.customer.clone())),
                ),
                (
                    "transaction_date",
                    Arc::new(Date32Array::from(self.date.clone())),
                ),
                ("amount", Arc::new(Float64Array::from(self.amount.clone()))),
            ],
        )?;
        TableData::new("transactions", vec![(None, rows)])
    }
}
