# Reference values for patronage::factors' direct oblimin rotation from R's GPArotation
# (gradient projection, Jennrich 2002; Debian: apt-get install r-cran-gparotation),
# applied to factanal's unrotated maximum-likelihood loadings (tight optimizer
# tolerance, as make_reference.R). GPArotation's defaults otherwise (no Kaiser
# normalization), with the tightest stopping rule on the projected gradient's norm
# among 1e-11..1e-7 that converges (rounding stops the tighter ones); stored as eps.
# Run from the crate root: Rscript tests/data/factors/make_oblimin_reference.R
# Writes tests/data/factors/oblimin_reference.csv: case, quantity, row, col, value.
suppressMessages(library(GPArotation))
dir <- "tests/data/factors"
fit_tight <- function(...) {
  for (f in c(1, 10, 100, 1e3, 1e4)) {
    fit <- tryCatch(factanal(..., rotation = "none",
                             control = list(opt = list(factr = f, pgtol = 0, maxit = 100000))),
                    error = function(e) NULL)
    if (!is.null(fit)) return(fit)
  }
  stop("no tolerance worked")
}
out <- list()
put <- function(case, quantity, m) {
  m <- as.matrix(m)
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
    row = rep(seq_len(nrow(m)), ncol(m)), col = rep(seq_len(ncol(m)), each = nrow(m)),
    value = sprintf("%.17g", as.numeric(m)))
}
cases <- list(
  list("ability_2", fit_tight(factors = 2, covmat = ability.cov)),
  list("harman74_4", fit_tight(factors = 4, covmat = Harman74.cor)),
  list("mtcars_3", fit_tight(mtcars, factors = 3)))
for (gam in c(0, 0.5)) {
  for (cs in cases) {
    a <- unclass(cs[[2]]$loadings)
    r <- NULL
    for (eps in c(1e-11, 1e-10, 1e-9, 1e-8, 1e-7)) {
      r <- suppressWarnings(oblimin(a, gam = gam, eps = eps, maxit = 5000))
      if (r$convergence) break
    }
    if (!r$convergence) stop("oblimin did not converge")
    case <- sprintf("%s_oblimin_%g", cs[[1]], gam)
    put(case, "unrotated", a)
    put(case, "loadings", unclass(r$loadings))
    put(case, "factor_correlations", r$Phi)
    put(case, "criterion", r$Table[nrow(r$Table), 2])
    put(case, "eps", eps)
  }
}
write.csv(do.call(rbind, out), file.path(dir, "oblimin_reference.csv"),
          row.names = FALSE, quote = FALSE)
cat("GPArotation", as.character(packageVersion("GPArotation")), "\n")
