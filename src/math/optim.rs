//! Optimizers shared by the models (BFGS, Nelder-Mead) and finite-difference derivatives.
