# Reference values for patronage::factors from R 4.2.2 (stats::factanal, prcomp,
# varimax, promax) and psych 2.2.9 (fa(fm = "pa"), KMO, cortest.bartlett), as Debian 12
# ships them: apt-get install r-base-core r-cran-psych
# Run from the crate root: Rscript tests/data/factors/make_reference.R
# Writes, next to this script:
#  - data.csv: the inputs (dataset, row, col, value; 17 significant digits):
#    ability.cov's covariance (n.obs = 112), Harman74.cor's correlation
#    (n.obs = 145) and the mtcars data (32 x 11);
#  - reference.csv: case, quantity, row, col, value.
# factanal is run with a tight optimizer tolerance (factr = 1, pgtol = 0) so its
# uniquenesses are converged beyond R's default (factr = 1e7 stops around 1e-5);
# psych's principal axes likewise with min.err = 1e-14.
suppressMessages(library(psych))
dir <- "tests/data/factors"
# Where L-BFGS-B's line search fails at factr = 1 (it reports an abnormal stop and
# factanal gives up), the tightest of these that runs.
fit_tight <- function(...) {
  for (f in c(1, 10, 100, 1e3, 1e4)) {
    fit <- tryCatch(factanal(..., control = list(opt = list(factr = f, pgtol = 0, maxit = 100000))),
                    error = function(e) NULL)
    if (!is.null(fit)) { fit$factr <- f; return(fit) }
  }
  stop("no tolerance worked")
}

long <- function(name, m) {
  m <- as.matrix(m)
  data.frame(dataset = name, row = rep(seq_len(nrow(m)), ncol(m)),
             col = rep(seq_len(ncol(m)), each = nrow(m)),
             value = sprintf("%.17g", as.numeric(m)))
}
write.csv(rbind(long("ability", ability.cov$cov), long("harman74", Harman74.cor$cov),
                long("mtcars", mtcars)),
          file.path(dir, "data.csv"), row.names = FALSE, quote = FALSE)

out <- list()
put <- function(case, quantity, m) {
  m <- as.matrix(m)
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
    row = rep(seq_len(nrow(m)), ncol(m)), col = rep(seq_len(ncol(m)), each = nrow(m)),
    value = sprintf("%.17g", as.numeric(m)))
}
fa_case <- function(case, fit) {
  put(case, "loadings", unclass(fit$loadings))
  put(case, "uniquenesses", fit$uniquenesses)
  put(case, "objective", fit$criteria["objective"])
  put(case, "factr", fit$factr)
  if (!is.null(fit$STATISTIC)) {
    put(case, "statistic", fit$STATISTIC)
    put(case, "dof", fit$dof)
    put(case, "p_value", fit$PVAL)
  }
  if (!is.null(fit$rotmat)) {
    tmat <- solve(fit$rotmat)
    put(case, "factor_correlations", tmat %*% t(tmat))
  }
  if (!is.null(fit$scores)) put(case, "scores", fit$scores)
}
for (rot in c("none", "varimax", "promax")) {
  fa_case(paste0("ability_2_", rot),
          fit_tight(factors = 2, covmat = ability.cov, rotation = rot))
  fa_case(paste0("harman74_4_", rot),
          fit_tight(factors = 4, covmat = Harman74.cor, rotation = rot))
}
fa_case("ability_1_none", fit_tight(factors = 1, covmat = ability.cov))
fa_case("mtcars_3_varimax_regression",
        fit_tight(mtcars, factors = 3, scores = "regression"))
fa_case("mtcars_3_promax_regression",
        fit_tight(mtcars, factors = 3, rotation = "promax", scores = "regression"))
fa_case("mtcars_3_varimax_bartlett",
        fit_tight(mtcars, factors = 3, scores = "Bartlett"))

# Principal components of the correlation matrix.
pc <- prcomp(mtcars, scale. = TRUE)
put("mtcars_pca", "eigenvalues", pc$sdev^2)
put("mtcars_pca", "rotation", pc$rotation)
put("mtcars_pca", "scores", pc$x)

# Principal axis factoring (unrotated), KMO, Bartlett.
for (d in list(list("ability", cov2cor(ability.cov$cov), 112, 2),
               list("harman74", Harman74.cor$cov, 145, 4))) {
  pa <- fa(d[[2]], nfactors = d[[4]], n.obs = d[[3]], fm = "pa", rotate = "none",
           min.err = 1e-14, max.iter = 100000, SMC = TRUE, warnings = FALSE)
  put(paste0(d[[1]], "_pa"), "loadings", unclass(pa$loadings))
  put(paste0(d[[1]], "_pa"), "communalities", pa$communality)
  k <- KMO(d[[2]])
  put(paste0(d[[1]], "_kmo"), "overall", k$MSA)
  put(paste0(d[[1]], "_kmo"), "per_variable", k$MSAi)
  b <- cortest.bartlett(d[[2]], n = d[[3]])
  put(paste0(d[[1]], "_bartlett"), "statistic", b$chisq)
  put(paste0(d[[1]], "_bartlett"), "dof", b$df)
  put(paste0(d[[1]], "_bartlett"), "p_value", b$p.value)
}
write.csv(do.call(rbind, out), file.path(dir, "reference.csv"), row.names = FALSE, quote = FALSE)
