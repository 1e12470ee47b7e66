# Reference fits for tests/forecast_ets.rs: R's forecast::ets on R datasets for fixed
# specifications (bounds = "both", opt.crit = "lik", the defaults). Writes one
# <series>.csv per series (time, value) and reference.csv with R's log-likelihood,
# information criteria and smoothing parameters.
#
# Run from this directory: Rscript make_reference.R
# Made with R 4.2.2 and forecast 8.20 (Debian r-cran-forecast).
suppressMessages(library(forecast))

series <- list(
  co2 = co2, AirPassengers = AirPassengers, UKgas = UKgas,
  USAccDeaths = USAccDeaths, nottem = nottem, JohnsonJohnson = JohnsonJohnson,
  ldeaths = ldeaths, UKDriverDeaths = UKDriverDeaths, austres = austres,
  fdeaths = fdeaths, WWWusage = WWWusage, Nile = Nile
)
# Every model R's ets() considers with restrict = TRUE (no additive error with a
# multiplicative season, no multiplicative trend); seasonal ones only for seasonal series.
specs <- c("ANN", "AAN", "AAdN", "MNN", "MAN", "MAdN",
           "ANA", "AAA", "AAdA", "MNA", "MAA", "MAdA", "MNM", "MAM", "MAdM")

fmt <- function(x) if (is.null(x) || is.na(x)) "NA" else sprintf("%.10g", x)
rows <- character(0)
for (name in names(series)) {
  y <- series[[name]]
  write.csv(data.frame(time = sprintf("%.6f", as.numeric(time(y))), value = as.numeric(y)),
            paste0(name, ".csv"), row.names = FALSE, quote = FALSE)
  for (spec in specs) {
    damped <- grepl("d", spec)
    model <- sub("d", "", spec)
    if (substr(spec, nchar(spec), nchar(spec)) != "N" && frequency(y) == 1) next
    if (grepl("M", spec) && min(y) <= 0) next
    fit <- tryCatch(ets(y, model = model, damped = damped), error = function(e) NULL)
    if (is.null(fit)) next
    p <- fit$par
    rows <- c(rows, paste(name, frequency(y), spec, length(y), fmt(fit$loglik),
                          fmt(fit$aic), fmt(fit$aicc), fmt(fit$bic), fmt(p["alpha"]),
                          fmt(p["beta"]), fmt(p["gamma"]), fmt(p["phi"]), sep = ","))
  }
}
writeLines(c("series,frequency,spec,n,loglik,aic,aicc,bic,alpha,beta,gamma,phi", rows),
           "reference.csv")
