//! Survival curves of customer lifetimes: Kaplan-Meier with Greenwood intervals, log-rank test.
