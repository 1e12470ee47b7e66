# Times R's forecast(mstl(y), h = 28) (MSTL with periods 7 and 365.25, then ETS(ZZN))
# on the stored 3-year daily series, for the note beside benches/forecast_depth.rs.
# Run from the crate root: Rscript tests/data/forecast_depth/time_r_mstl.R
suppressMessages(library(forecast))
d <- read.csv("tests/data/forecast_depth/mstl_series.csv")
y <- msts(d$value[d$series == "daily"], seasonal.periods = c(7, 365.25))
reps <- 50
t_dec <- system.time(for (i in 1:reps) mstl(y))[["user.self"]] / reps
t_all <- system.time(for (i in 1:reps) forecast(mstl(y), h = 28))[["user.self"]] / reps
cat(sprintf("R %s forecast %s: mstl %.1f ms, forecast(mstl(y), h = 28) %.1f ms (user time, mean of %d)\n",
            getRversion(), packageVersion("forecast"), 1000 * t_dec, 1000 * t_all, reps))
