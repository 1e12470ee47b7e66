# Reference values for patronage's regression with ARIMA errors (forecast::Arima and
# auto.arima with xreg), from R 4.2.2 and forecast 8.20 as Debian 12 ships them
# (apt-get install r-base-core r-cran-forecast).
# Run from the crate root: Rscript tests/data/forecast_depth/make_xreg_reference.R
# Writes, next to this script:
#  - xreg_series.csv: series, index, y, promo, price, holiday (the last 12 rows of each
#    series are the future regressor values, y = NA);
#  - xreg_reference.csv: case, quantity, index, value (17 significant digits); the
#    coefficient names are in xreg_names.csv (case, index, name).
# Series: "stationary" (150 weeks): y = 40 + 6 promo - 3 price + ARMA(1,1) errors;
# "integrated" (150 weeks): y = 3 holiday - 2 price + ARIMA(0,1,1) errors.
suppressMessages(library(forecast))
dir <- "tests/data/forecast_depth"
n <- 150; h <- 12
set.seed(7)
promo <- as.numeric(runif(n + h) < 0.2)
price <- round(10 + cumsum(rnorm(n + h, 0, 0.2)), 2)
holiday <- as.numeric((1:(n + h)) %% 13 == 0)
e1 <- as.numeric(arima.sim(list(ar = 0.6, ma = 0.3), n = n, sd = 2))
y1 <- 40 + 6 * promo[1:n] - 3 * price[1:n] + e1
e2 <- cumsum(as.numeric(arima.sim(list(ma = -0.4), n = n, sd = 1.5)))
y2 <- 100 + 3 * holiday[1:n] - 2 * price[1:n] + e2
s <- rbind(
  data.frame(series = "stationary", index = 1:(n + h), y = sprintf("%.17g", c(y1, rep(NA, h))),
             promo = promo, price = sprintf("%.17g", price), holiday = holiday),
  data.frame(series = "integrated", index = 1:(n + h), y = sprintf("%.17g", c(y2, rep(NA, h))),
             promo = promo, price = sprintf("%.17g", price), holiday = holiday))
write.csv(s, file.path(dir, "xreg_series.csv"), row.names = FALSE, quote = FALSE)

out <- list(); nm <- list()
put <- function(case, quantity, values) {
  values <- as.numeric(values)
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
    index = seq_along(values), value = sprintf("%.17g", values))
}
record <- function(case, fit, newx) {
  put(case, "coef", coef(fit))
  nm[[case]] <<- data.frame(case = case, index = seq_along(coef(fit)), name = names(coef(fit)))
  put(case, "order", arimaorder(fit))
  put(case, "sigma2", fit$sigma2)
  put(case, "loglik", fit$loglik)
  put(case, "aicc", fit$aicc)
  put(case, "aic", fit$aic)
  put(case, "bic", fit$bic)
  put(case, "se", sqrt(diag(fit$var.coef)))
  fc <- forecast(fit, xreg = newx, level = c(80, 95))
  put(case, "mean", fc$mean)
  put(case, "lower80", fc$lower[, 1]); put(case, "upper80", fc$upper[, 1])
  put(case, "lower95", fc$lower[, 2]); put(case, "upper95", fc$upper[, 2])
  put(case, "fitted", fitted(fit))
}
X1 <- cbind(promo = promo, price = price)
X2 <- cbind(holiday = holiday, price = price)
past <- 1:n; fut <- (n + 1):(n + h)
record("arima101_mean", Arima(y1, order = c(1, 0, 1), xreg = X1[past, ]), X1[fut, ])
record("arima101_nomean", Arima(y1, order = c(1, 0, 1), xreg = X1[past, ], include.mean = FALSE), X1[fut, ])
record("arima011", Arima(y2, order = c(0, 1, 1), xreg = X2[past, ]), X2[fut, ])
record("arima011_drift", Arima(y2, order = c(0, 1, 1), xreg = X2[past, ], include.drift = TRUE), X2[fut, ])
record("arima200_price", Arima(y1, order = c(2, 0, 0), xreg = X1[past, "price", drop = FALSE]), X1[fut, "price", drop = FALSE])
record("auto_stationary", auto.arima(y1, xreg = X1[past, ]), X1[fut, ])
record("auto_integrated", auto.arima(y2, xreg = X2[past, ]), X2[fut, ])
write.csv(do.call(rbind, out), file.path(dir, "xreg_reference.csv"), row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, nm), file.path(dir, "xreg_names.csv"), row.names = FALSE, quote = FALSE)
cat(R.version.string, "forecast", as.character(packageVersion("forecast")), "\n")
