# Reference values for patronage's MSTL and STL forecasting (forecast::mstl, stlf,
# forecast(mstl(...))), from R's forecast package (R 4.2.2, forecast 8.20 as Debian 12
# ships them: apt-get install r-base-core r-cran-forecast).
# Run from the crate root: Rscript tests/data/forecast_depth/make_mstl_reference.R
# Writes, next to this script:
#  - mstl_series.csv: series, periods (";"-separated), index, value (17 significant digits);
#  - mstl_reference.csv: case, quantity, index, value (17 significant digits).
# Cases:
#  - taylor: the first six weeks (2016 half-hours) of forecast's `taylor` (England and
#    Wales electricity demand, 2000), periods 48 and 336;
#  - daily: three years of a simulated daily series (seed 20), periods 7 and 365.25;
#  - weekly: four years of a simulated weekly series (seed 52), frequency 52, by stlf.
suppressMessages(library(forecast))
dir <- "tests/data/forecast_depth"

taylor6 <- msts(as.numeric(taylor)[1:2016], seasonal.periods = c(48, 336))
set.seed(20)
t <- 1:1096
daily <- 500 + 0.2 * t + 40 * sin(2 * pi * t / 7) + 15 * cos(4 * pi * t / 7) +
  80 * sin(2 * pi * t / 365.25) + 30 * cos(2 * pi * t / 365.25) +
  as.numeric(arima.sim(list(ar = 0.5), n = 1096, sd = 12))
daily <- msts(daily, seasonal.periods = c(7, 365.25))
set.seed(52)
w <- 1:208
weekly <- ts(1000 + 2 * w + 150 * sin(2 * pi * w / 52) + 60 * cos(6 * pi * w / 52) +
  as.numeric(arima.sim(list(ar = 0.3), n = 208, sd = 25)), frequency = 52)

series <- list(taylor = taylor6, daily = daily, weekly = weekly)
periods <- list(taylor = c(48, 336), daily = c(7, 365.25), weekly = 52)
rows <- list()
for (name in names(series)) {
  x <- series[[name]]
  rows[[name]] <- data.frame(series = name, periods = paste(periods[[name]], collapse = ";"),
                             index = seq_along(x), value = sprintf("%.17g", as.numeric(x)))
}
write.csv(do.call(rbind, rows), file.path(dir, "mstl_series.csv"), row.names = FALSE, quote = FALSE)

out <- list()
put <- function(case, quantity, values) {
  values <- as.numeric(values)
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
    index = seq_along(values), value = sprintf("%.17g", values))
}

ets_parts <- function(case, fit) {
  put(case, "ets_spec", c(match(fit$components[1], c("A", "M")),
                          match(fit$components[2], c("N", "A")),
                          as.numeric(fit$components[4] == "TRUE")))
  put(case, "ets_par", fit$par[intersect(c("alpha", "beta", "phi"), names(fit$par))])
  put(case, "ets_initial_state", fit$states[1, ])
  put(case, "ets_sigma2", fit$sigma2)
  put(case, "ets_loglik", fit$loglik)
  put(case, "ets_aicc", fit$aicc)
  put(case, "ets_npar", length(fit$par))
}

fc_parts <- function(case, fc) {
  put(case, "mean", fc$mean)
  put(case, "lower80", fc$lower[, 1])
  put(case, "upper80", fc$upper[, 1])
  put(case, "lower95", fc$lower[, 2])
  put(case, "upper95", fc$upper[, 2])
  put(case, "fitted", fc$fitted)
}

for (name in c("taylor", "daily")) {
  x <- series[[name]]
  d <- mstl(x)
  put(name, "trend", d[, "Trend"])
  for (j in grep("Seasonal", colnames(d))) put(name, paste0("seasonal", j - 2), d[, j])
  put(name, "remainder", d[, "Remainder"])
  h <- if (name == "taylor") 96 else 60
  fc <- forecast(d, h = h)
  fc_parts(name, fc)
  ets_parts(name, fc$model)
  # One pass and robust fits.
  d1 <- mstl(x, iterate = 1)
  put(paste0(name, "_iterate1"), "trend", d1[, "Trend"])
  put(paste0(name, "_iterate1"), "seasonal1", d1[, 3])
  dr <- mstl(x, robust = TRUE)
  put(paste0(name, "_robust"), "trend", dr[, "Trend"])
  put(paste0(name, "_robust"), "seasonal1", dr[, 3])
}
# Weekly data, m = 52: stlf (STL with s.window = 11, then ETS(ZZN)).
fc <- stlf(weekly, h = 104)
d <- mstl(weekly)
put("weekly", "trend", d[, "Trend"])
put("weekly", "seasonal1", d[, "Seasonal52"])
put("weekly", "remainder", d[, "Remainder"])
fc_parts("weekly", fc)
ets_parts("weekly", fc$model)
write.csv(do.call(rbind, out), file.path(dir, "mstl_reference.csv"), row.names = FALSE, quote = FALSE)
for (name in c("taylor", "daily", "weekly")) {
  cat(name, ":", if (name == "weekly") stlf(weekly)$model$method else forecast(mstl(series[[name]]))$model$method, "\n")
}
cat(R.version.string, "forecast", as.character(packageVersion("forecast")), "\n")
