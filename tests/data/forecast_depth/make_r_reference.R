# Reference values for patronage's Box-Cox, Box-Cox forecasters and Theta, from R's
# forecast package (R 4.2.2, forecast 8.20 as Debian 12 ships them:
# apt-get install r-base-core r-cran-forecast).
# Run from the crate root: Rscript tests/data/forecast_depth/make_r_reference.R
# Writes, next to this script:
#  - r_series.csv: the series (series, period, index, value; 17 significant digits);
#  - r_reference.csv: case, quantity, index, value (17 significant digits).
suppressMessages(library(forecast))
dir <- "tests/data/forecast_depth"
series <- list(AirPassengers = AirPassengers, lynx = lynx, USAccDeaths = USAccDeaths,
               UKgas = UKgas, Nile = Nile, JohnsonJohnson = JohnsonJohnson)
rows <- list()
for (name in names(series)) {
  x <- series[[name]]
  rows[[name]] <- data.frame(series = name, period = frequency(x), index = seq_along(x),
                             value = sprintf("%.17g", as.numeric(x)))
}
write.csv(do.call(rbind, rows), file.path(dir, "r_series.csv"), row.names = FALSE, quote = FALSE)

out <- list()
put <- function(case, quantity, values) {
  values <- as.numeric(values)
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
    index = seq_along(values), value = sprintf("%.17g", values))
}

# Box-Cox: Guerrero's lambda (default bounds -1, 2, and a narrower [0, 1]), the
# transform and the bias-adjusted inverse.
for (name in names(series)) {
  x <- series[[name]]
  lam <- BoxCox.lambda(x)
  put(name, "lambda", lam)
  put(name, "lambda_0_1", BoxCox.lambda(x, lower = 0, upper = 1))
  z <- BoxCox(x, lam)
  put(name, "boxcox", z)
  fvar <- seq(0.01, 0.2, length.out = 10) * var(as.numeric(z))
  put(name, "fvar", fvar)
  put(name, "inv_biasadj", InvBoxCox(z[1:10], lam, biasadj = TRUE, fvar = fvar))
  put(name, "inv", InvBoxCox(z, lam))
}
ap <- AirPassengers
for (lam in c(0, -0.5, 0.5)) {
  put(sprintf("AirPassengers_lambda_%g", lam), "boxcox", BoxCox(ap, lam))
  z <- BoxCox(ap, lam)[1:10]
  put(sprintf("AirPassengers_lambda_%g", lam), "inv_biasadj",
      InvBoxCox(z, lam, biasadj = TRUE, fvar = seq(0.001, 0.01, length.out = 10)))
}

# ETS and ARIMA on the Box-Cox scale, bias-adjusted means.
lam <- BoxCox.lambda(ap)
fit <- ets(ap, model = "AAA", damped = FALSE, lambda = lam, biasadj = TRUE)
put("ets_AAA", "lambda", lam)
put("ets_AAA", "par", fit$par[c("alpha", "beta", "gamma")])
put("ets_AAA", "initial_state", fit$states[1, ])
put("ets_AAA", "sigma2", fit$sigma2)
for (b in c(TRUE, FALSE)) {
  fc <- forecast(fit, h = 24, level = c(80, 95), biasadj = b)
  tag <- if (b) "biasadj" else "plain"
  put("ets_AAA", paste0("mean_", tag), fc$mean)
  put("ets_AAA", paste0("lower80_", tag), fc$lower[, 1])
  put("ets_AAA", paste0("upper80_", tag), fc$upper[, 1])
  put("ets_AAA", paste0("lower95_", tag), fc$lower[, 2])
  put("ets_AAA", paste0("upper95_", tag), fc$upper[, 2])
}
fit <- Arima(ap, order = c(0, 1, 1), seasonal = c(0, 1, 1), lambda = lam, biasadj = TRUE)
put("arima_011_011", "coef", coef(fit))
put("arima_011_011", "sigma2", fit$sigma2)
put("arima_011_011", "loglik", fit$loglik)
fc <- forecast(fit, h = 24, level = c(80, 95))
put("arima_011_011", "mean_biasadj", fc$mean)
put("arima_011_011", "lower80_biasadj", fc$lower[, 1])
put("arima_011_011", "upper80_biasadj", fc$upper[, 1])
put("arima_011_011", "lower95_biasadj", fc$lower[, 2])
put("arima_011_011", "upper95_biasadj", fc$upper[, 2])

# Theta (thetaf), with the SES smoothing parameter, the drift and the SES variance.
for (name in names(series)) {
  x <- series[[name]]
  h <- if (frequency(x) > 1) 2 * frequency(x) else 10
  fc <- thetaf(x, h = h)
  put(paste0("theta_", name), "mean", fc$mean)
  put(paste0("theta_", name), "lower80", fc$lower[, 1])
  put(paste0("theta_", name), "upper80", fc$upper[, 1])
  put(paste0("theta_", name), "lower95", fc$lower[, 2])
  put(paste0("theta_", name), "upper95", fc$upper[, 2])
  put(paste0("theta_", name), "fitted", fc$fitted)
  put(paste0("theta_", name), "alpha", fc$model$alpha)
  put(paste0("theta_", name), "drift", fc$model$drift)
  put(paste0("theta_", name), "sigma2", fc$model$sigma)
}
write.csv(do.call(rbind, out), file.path(dir, "r_reference.csv"), row.names = FALSE, quote = FALSE)
cat(R.version.string, "forecast", as.character(packageVersion("forecast")), "\n")
