//! Cohort retention: customers grouped by the period of their first purchase.
