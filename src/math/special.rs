//! Special functions: the Gaussian hypergeometric function 2F1 and what the CLV models need.
