# Reference values for tests/decompose.rs (STL) and the seasonal-differencing tests of
# tests/forecast_arima.rs (forecast::nsdiffs / auto.arima on seasonal series).
#
# Run from the crate root:  Rscript tests/data/make_stl_reference.R
# Made with R 4.2.2 and forecast 8.20 (Debian packages r-base-core, r-cran-forecast);
# the output of that run is stored next to this script (see tests/data/README.md).
#
# Writes
#   tests/data/r_seasonal_series.csv          the series (R's datasets), long format
#   tests/data/stl_reference.csv              stats::stl() components per case
#   tests/data/auto_arima_seasonal_reference.csv
#                                             forecast's seasonal strength (seas.heuristic,
#                                             on mstl), nsdiffs and auto.arima's model

suppressPackageStartupMessages(library(forecast))
options(digits = 17)
f17 <- function(v) sprintf("%.17g", v)

series <- list(
  JohnsonJohnson = JohnsonJohnson, UKgas = UKgas, austres = austres,
  AirPassengers = AirPassengers, nottem = nottem, USAccDeaths = USAccDeaths,
  ldeaths = ldeaths, mdeaths = mdeaths, fdeaths = fdeaths,
  UKDriverDeaths = UKDriverDeaths, co2 = co2
)

rows <- do.call(rbind, lapply(names(series), function(s) {
  x <- series[[s]]
  data.frame(series = s, period = frequency(x), index = seq_along(x), value = f17(as.numeric(x)))
}))
write.csv(rows, "tests/data/r_seasonal_series.csv", row.names = FALSE, quote = FALSE)

# STL cases: name, series, transform, stl() arguments.
cases <- list(
  list("co2_periodic", "co2", FALSE, list(s.window = "periodic")),
  list("co2_7", "co2", FALSE, list(s.window = 7)),
  list("nottem_11", "nottem", FALSE, list(s.window = 11)),
  list("log_air_7_robust", "AirPassengers", TRUE, list(s.window = 7, robust = TRUE)),
  list("ukgas_11", "UKgas", FALSE, list(s.window = 11)),
  list("jj_periodic_robust", "JohnsonJohnson", FALSE, list(s.window = "periodic", robust = TRUE)),
  list("usacc_13_deg1_tjump1", "USAccDeaths", FALSE, list(s.window = 13, s.degree = 1, t.jump = 1)),
  list("austres_11_windows", "austres", FALSE, list(s.window = 11, t.window = 9, l.window = 7))
)
stl_rows <- do.call(rbind, lapply(cases, function(cs) {
  x <- series[[cs[[2]]]]
  if (cs[[3]]) x <- log(x)
  fit <- do.call(stl, c(list(x), cs[[4]]))
  comp <- fit$time.series
  data.frame(case = cs[[1]], index = seq_along(x),
             trend = f17(comp[, "trend"]), seasonal = f17(comp[, "seasonal"]),
             remainder = f17(comp[, "remainder"]), weights = f17(fit$weights))
}))
write.csv(stl_rows, "tests/data/stl_reference.csv", row.names = FALSE, quote = FALSE)

# Seasonal strength as nsdiffs(test = "seas") measures it, nsdiffs and auto.arima.
arima_rows <- do.call(rbind, lapply(names(series), function(s) {
  x <- series[[s]]
  fit <- auto.arima(x)
  o <- arimaorder(fit)
  cf <- names(coef(fit))
  data.frame(series = s, strength = f17(forecast:::seas.heuristic(x)),
             nsdiffs = nsdiffs(x),
             p = o[["p"]], d = o[["d"]], q = o[["q"]],
             P = o[["P"]], D = o[["D"]], Q = o[["Q"]],
             drift = "drift" %in% cf, mean = "intercept" %in% cf,
             aicc = f17(fit$aicc), model = gsub(" ", "_", as.character(fit)))
}))
write.csv(arima_rows, "tests/data/auto_arima_seasonal_reference.csv", row.names = FALSE, quote = FALSE)
print(arima_rows[, c("series", "strength", "nsdiffs", "model", "aicc")])
