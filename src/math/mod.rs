//! Numerical building blocks the models share: special functions and optimizers.

pub(crate) mod linalg;
pub mod optim;
pub(crate) mod simd;
pub mod special;
