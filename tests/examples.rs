//! Every example is compiled into this test and run to completion, so examples cannot
//! rot (each example's `main` is `pub` for this).
// Each example is a standalone program with its own `mod cdnow` (the shared parser in
// examples/common); compiled here side by side, that module is loaded once per example.
#![allow(clippy::duplicate_mod)]

#[path = "../examples/channels.rs"]
mod channels;
#[path = "../examples/churn.rs"]
mod churn;
#[path = "../examples/clv.rs"]
mod clv;
#[path = "../examples/cross_sell.rs"]
mod cross_sell;
#[path = "../examples/factors.rs"]
mod factors;
#[path = "../examples/forecast.rs"]
mod forecast;
#[path = "../examples/quickstart.rs"]
mod quickstart;
#[path = "../examples/recommend.rs"]
mod recommend;
#[path = "../examples/regression.rs"]
mod regression;
#[path = "../examples/retention.rs"]
mod retention;
#[cfg(feature = "serde")]
#[path = "../examples/score_one.rs"]
mod score_one;
#[path = "../examples/segments.rs"]
mod segments;
#[path = "../examples/subscription.rs"]
mod subscription;

/// The examples run below; a new example must be added here.
const RUN: &[&str] = &[
    "channels",
    "churn",
    "clv",
    "cross_sell",
    "factors",
    "forecast",
    "quickstart",
    "recommend",
    "regression",
    "retention",
    "score_one",
    "segments",
    "subscription",
];

#[test]
fn channels_runs() {
    channels::main().unwrap();
}

#[test]
fn quickstart_runs() {
    quickstart::main().unwrap();
}

#[test]
fn regression_runs() {
    regression::main().unwrap();
}

#[test]
fn segments_runs() {
    segments::main().unwrap();
}

#[test]
fn churn_runs() {
    churn::main().unwrap();
}

#[test]
fn cross_sell_runs() {
    cross_sell::main().unwrap();
}

#[test]
fn recommend_runs() {
    recommend::main().unwrap();
}

#[test]
fn retention_runs() {
    retention::main().unwrap();
}

#[test]
fn factors_runs() {
    factors::main().unwrap();
}

#[test]
fn forecast_runs() {
    forecast::main().unwrap();
}

#[cfg(feature = "serde")]
#[test]
fn score_one_runs() {
    score_one::main().unwrap();
}

#[test]
fn clv_runs() {
    clv::main().unwrap();
}

#[test]
fn subscription_runs() {
    subscription::main().unwrap();
}

#[test]
fn every_example_is_run_here() {
    let mut names: Vec<String> = std::fs::read_dir("examples")
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "rs").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    let mut run: Vec<String> = RUN.iter().map(|s| s.to_string()).collect();
    run.sort();
    assert_eq!(names, run, "add each example to tests/examples.rs");
}
