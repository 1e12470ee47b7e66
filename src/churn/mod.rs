//! Churn: labels from purchase history, logistic regression, and model evaluation metrics.
