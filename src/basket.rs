//! Market-basket analysis: frequent itemsets by FP-growth and association rules.
