//! Statistical models fitted inside SQL: BG/NBD and Gamma-Gamma for
//! customer lifetime value, and logistic regression for win probability.
//! The math lives here, free of Arrow; the SQL functions wrap it.

pub mod bgnbd;
pub mod gamma_gamma;
pub mod logreg;
pub mod optim;
pub mod special;
