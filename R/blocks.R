# Kernels in row x column blocks, evaluated as futures on the user's
# `future::plan()` (sequential, multisession, cluster, future.callr,
# future.mirai, future.batchtools on a scheduler, ...), optionally written
# block by block into a file-backed matrix (issue 11). Every kernel function
# hands off here when given `block_size` or `file`.
#
# File-backed matrices: bigmemory's big.matrix. It is on CRAN since 2008 and in
# Debian (r-cran-bigmemory, so setup.sh installs it without compiling), its
# descriptor files let any process on a shared file system attach the same
# matrix, and `K[i, j]` reads and writes sub-blocks with base R's indexing;
# bigstatsr's FBM would serve as well but installs only from source here.

#' Kernels in blocks, in parallel and beyond memory
#'
#' Every kernel function ([nngp()], [ntk()], [kernels()], [jacobian_nngp()],
#' [jntk()] with `as = "matrix"`, [empirical_ntk()], [empirical_jntk()],
#' [empirical_nngp()]) takes `block_size` and `file`. With either, the result
#' is computed in blocks of `block_size` points of `x1` by `block_size` points
#' of `x2` (for a symmetric kernel, `x2 = NULL`, only the blocks on and above
#' the diagonal, mirrored), each block a future of the `future` package, so
#' whatever [future::plan()] is set runs them: `plan(multisession, workers = 4)`
#' on one machine, `plan(cluster, workers = c("n1", "n2"))` over machines,
#' `plan(future.batchtools::batchtools_slurm)` on a scheduler. At most one block
#' per worker plus one is in flight, so memory stays a few blocks. Without the
#' `future` package the blocks run one after the other (a message says how to
#' parallelise). Results equal the one-block computation up to the rounding of
#' the Gram product (off-diagonal blocks use a general matrix product where the
#' one-block path uses a symmetric one).
#'
#' **Threads and workers.** Each block runs with `threads` OpenMP threads on its
#' worker. On a cluster of machines with \eqn{c} cores each, use \eqn{c}
#' workers per machine with `threads = 1`, or one worker per machine with
#' `threads = c`; never more workers times threads than cores.
#'
#' **File-backed results.** `file = "K.bin"` writes the result block by block
#' into a file-backed `bigmemory::big.matrix` (backing file `K.bin`, descriptor
#' `K.bin.desc` beside it) and returns it; only blocks are ever in memory.
#' Re-attach it later with `bigmemory::attach.big.matrix("K.bin.desc")`.
#' [solve()] and [gradient_flow()] (`kernel = `) accept it.
#'
#' @param block_size Points per block (rows and columns), at least 1 and at
#'   most the number of points; `NULL` with a `file`: blocks of about 64 MB.
#' @param file `NULL`, or the path of a new file for a file-backed result (its
#'   folder must exist).
#' @return `blocked_kernel()` is internal; see the kernel functions.
#' @seealso [future::plan()], [monte_carlo()] (networks spread over the plan).
#' @examples
#' net <- mlp(2, "erf")
#' x <- matrix(rnorm(40), 20, 2)
#' K <- ntk(net, x, block_size = 8)      # 3 x 3 blocks, 6 computed
#' max(abs(K - ntk(net, x)))
#' \donttest{
#' if (requireNamespace("future", quietly = TRUE)) {
#'   old <- future::plan(future::multisession, workers = 2)
#'   K2 <- jntk(net, x, block_size = 10)
#'   future::plan(old)
#' }
#' }
#' @name kernel-blocks
NULL

blocked_kernel <- function(fun, model, x1, x2 = NULL, block_size = NULL, file = NULL,
                           threads = default_threads(), ...) {
  extra <- list(...)
  if (!is.null(extra$as) && !identical(extra$as[1], "matrix")) {
    jntk_abort("`block_size` and `file` compute the dense matrix in blocks; with `as = \"structured\"` leave them NULL (the scalars take 8 N1 N2 doubles).",
               class = "jntk_error_argument")
  }
  extra$as <- NULL
  threads <- check_threads(threads)
  if (missing(x1) || is.null(x1)) {
    jntk_abort("`x1` is missing: give the inputs as a numeric matrix with one point per row.",
               class = "jntk_error_input")
  }
  x1 <- as_input_matrix(x1, "x1")
  sym <- is.null(x2)
  x2m <- if (sym) x1 else as_input_matrix(x2, "x2", structure(ncol(x1), why = "`x1`"))
  n1 <- nrow(x1); n2 <- nrow(x2m); d <- ncol(x1)
  jac <- fun %in% c("jacobian_nngp", "jntk", "empirical_jntk") ||
    (fun == "empirical_nngp" && isTRUE(extra$jacobian))
  per <- if (jac) d + 1 else 1
  outs <- if (fun == "kernels") c("nngp", "ntk") else fun
  block_size <- check_block_size(block_size, max(n1, n2), per, !is.null(file))
  files <- check_block_files(file, outs)
  r1 <- n1 * per; r2 <- n2 * per
  if (is.null(files)) {
    check_alloc(as.double(r1) * r2 * length(outs),
                sprintf("The %s x %s kernel matrix", format(r1, big.mark = ","), format(r2, big.mark = ",")),
                "Give `file = ` to write it block by block into a file-backed matrix.")
  }
  rb <- block_ranges(n1, block_size); cb <- if (sym) rb else block_ranges(n2, block_size)
  tasks <- list()
  for (i in seq_along(rb)) for (j in seq_along(cb)) {
    if (sym && j < i) next
    tasks[[length(tasks) + 1L]] <- list(i = i, j = j)
  }
  res <- lapply(seq_along(outs), function(k) {
    if (is.null(files)) matrix(0, r1, r2) else
      bigmemory::filebacked.big.matrix(r1, r2, type = "double", backingfile = basename(files[k]),
                                       backingpath = dirname(files[k]),
                                       descriptorfile = paste0(basename(files[k]), ".desc"))
  })
  rows_of <- function(idx, n) if (jac) c(idx, n + as.vector(outer(seq_len(d), (idx - 1L) * d, "+"))) else idx
  place <- function(task, value) {
    ri <- rb[[task$i]]; cj <- cb[[task$j]]
    rr <- rows_of(ri, n1); cc <- rows_of(cj, n2)
    for (k in seq_along(outs)) {
      B <- value[[k]]
      if (is.matrix(res[[k]])) {
        res[[k]][rr, cc] <<- B
        if (sym && task$i != task$j) res[[k]][cc, rr] <<- t(B)
      } else {
        res[[k]][rr, cc] <- B
        if (sym && task$i != task$j) res[[k]][cc, rr] <- t(B)
      }
    }
  }
  make <- function(task) {
    xa <- x1[rb[[task$i]], , drop = FALSE]
    xb <- if (sym && task$i == task$j) NULL else x2m[cb[[task$j]], , drop = FALSE]
    list(fun = fun, model = model, xa = xa, xb = xb, threads = threads, extra = extra)
  }
  run_block_tasks(tasks, make, place, what = sprintf("%d blocks of %s()", length(tasks), fun))
  res <- lapply(res, function(K) {
    if (is.matrix(K)) dimnames(K) <- blocked_dimnames(fun, x1, if (sym) NULL else x2m, jac, d)
    K
  })
  if (length(outs) == 1L) res[[1]] else stats::setNames(res, outs)
}

# One block, on a worker: the kernel function of the installed package.
block_value <- function(spec) {
  f <- getExportedValue("jntk", spec$fun)
  first <- if (spec$fun %in% c("empirical_ntk", "empirical_jntk", "empirical_nngp")) "object" else "net"
  args <- c(stats::setNames(list(spec$model), first),
            list(x1 = spec$xa, x2 = spec$xb, threads = spec$threads), spec$extra)
  v <- do.call(f, args)
  if (spec$fun == "kernels") list(unclass(v$nngp), unclass(v$ntk)) else list(unclass(v))
}

# Run the blocks as futures on the current plan, placing each result as it
# arrives (in task order, so a file-backed result is written in the same
# order whatever the plan).
run_block_tasks <- function(tasks, make, place, what) {
  future_tasks(length(tasks), function(k) make(tasks[[k]]), function(k, v) place(tasks[[k]], v),
               block_value, what = what)
}

# The package's one scheduler of futures: task k's arguments `make(k)` are
# sent to a worker, which evaluates `fun(spec)` (a function of this package,
# so the worker loads jntk) with the L'Ecuyer-CMRG stream `seeds[[k]]` when
# given; `consume(k, value)` runs on the main process in task order. At most
# one task per worker plus one is in flight, so memory stays a few results.
# Without the future package: the same tasks, streams and order, sequentially.
# `make` is called once per task, in order 1..n (monte_carlo() relies on it
# to hand out its streams as it goes).
future_tasks <- function(n, make, consume, fun, seeds = NULL, what = "the tasks") {
  pb <- progress_start(n)
  on.exit(progress_end(pb), add = TRUE)
  if (!requireNamespace("future", quietly = TRUE)) {
    block_message(sprintf("jntk: computing %s sequentially; install the 'future' package and set e.g. `future::plan(future::multisession, workers = 2)` to run them in parallel.",
                          what))
    for (k in seq_len(n)) {
      consume(k, with_stream(if (is.null(seeds)) NULL else seeds[[k]], fun(make(k))))
      progress_step(pb, k)
    }
    return(invisible())
  }
  cap <- max(1L, as.integer(future::nbrOfWorkers())) + 1L
  fs <- vector("list", n)
  nxt <- 1L
  for (k in seq_len(n)) {
    while (nxt <= n && nxt - k < cap) {
      spec <- make(nxt)
      fs[[nxt]] <- tryCatch(future::future(quote(jntk_task(spec)), substitute = FALSE, packages = "jntk",
                                           seed = if (is.null(seeds)) NULL else seeds[[nxt]],
                                           globals = list(spec = spec, jntk_task = fun)),
                            error = function(e) block_worker_error(e))
      nxt <- nxt + 1L
    }
    v <- tryCatch(future::value(fs[[k]]), error = function(e) block_worker_error(e))
    fs[k] <- list(NULL)
    consume(k, v)
    progress_step(pb, k)
  }
  invisible()
}

# One L'Ecuyer-CMRG stream per task (parallel::nextRNGStream), derived from
# the user's generator by one draw, as future's `seed = TRUE` does: the same
# streams whatever the plan, and set.seed() reproduces them.
parallel_seeds <- function(n) seed_stream()(n)

# The same streams handed out a few at a time: seed_stream() draws from the
# user's generator once, and the function it returns gives the next n streams
# on each call. A long run (monte_carlo() with 1e6 networks) then never spends
# seconds, and memory, on streams up front, and stays interruptible.
seed_stream <- function() {
  r <- sample.int(.Machine$integer.max, 1L)
  user <- get(".Random.seed", envir = globalenv())
  # putting the user's .Random.seed back also restores the generator's kind
  on.exit(assign(".Random.seed", user, envir = globalenv()), add = TRUE)
  RNGkind("L'Ecuyer-CMRG")
  set.seed(r)
  s <- get(".Random.seed", envir = globalenv())
  function(n) {
    out <- vector("list", n)
    for (k in seq_len(n)) {
      out[[k]] <- s
      s <<- parallel::nextRNGStream(s)
    }
    out
  }
}

# Evaluate `expr` with .Random.seed set to `seed` (NULL: as it is), then put
# the caller's generator back.
with_stream <- function(seed, expr) {
  if (is.null(seed)) return(expr)
  old <- get0(".Random.seed", envir = globalenv(), inherits = FALSE)
  on.exit(if (is.null(old)) rm(".Random.seed", envir = globalenv()) else
    assign(".Random.seed", old, envir = globalenv()), add = TRUE)
  assign(".Random.seed", seed, envir = globalenv())
  expr
}

block_worker_error <- function(e) {
  msg <- conditionMessage(e)
  if (grepl("jntk", msg) && grepl("package|namespace", msg, ignore.case = TRUE)) {
    jntk_abort(sprintf(paste0("The workers of the current future plan cannot load jntk (%s). Install jntk on ",
                              "every worker, in a library the workers search (e.g. set R_LIBS in their ",
                              "environment, or `rscript_libs` of parallelly::makeClusterPSOCK()), or use ",
                              "`future::plan(future::sequential)`."), trimws(msg)),
               class = "jntk_error_plan", data = list(parent = e))
  }
  stop(e)
}

block_message <- function(msg) {
  key <- "block_sequential_said"
  if (is.null(.jntk_cache[[key]])) {
    .jntk_cache[[key]] <- TRUE
    message(structure(class = c("jntk_message_blocks", "message", "condition"),
                      list(message = paste0(msg, "\n"), call = NULL)))
  }
}

block_ranges <- function(n, bs) {
  starts <- seq(1L, n, by = bs)
  lapply(starts, function(s) s:min(n, s + bs - 1L))
}

check_block_size <- function(block_size, n, per, has_file) {
  if (is.null(block_size)) {
    # about 64 MB of doubles per block
    return(as.integer(max(1L, min(n, floor(sqrt(8e6) / per)))))
  }
  bs <- check_number(block_size, "block_size", lower = 1, integer = TRUE,
                     hint = "the number of points per block")
  if (bs > n) {
    jntk_abort(sprintf("`block_size = %d` is larger than the %d point(s): use at most %d, or `block_size = NULL` for one block.",
                       bs, n, n), class = "jntk_error_argument")
  }
  bs
}

check_block_files <- function(file, outs) {
  if (is.null(file)) return(NULL)
  if (!is.character(file) || length(file) != length(outs) || anyNA(file) || any(!nzchar(file))) {
    jntk_abort(sprintf("`file` must be %s.", if (length(outs) == 1L) "one file path" else
      sprintf("%d file paths, one for each of %s", length(outs), paste(outs, collapse = " and "))),
      class = "jntk_error_argument")
  }
  if (!requireNamespace("bigmemory", quietly = TRUE)) {
    jntk_abort("`file` needs the 'bigmemory' package for file-backed matrices: install.packages(\"bigmemory\") (Debian: r-cran-bigmemory).",
               class = "jntk_error_dependency")
  }
  file <- path.expand(file)
  for (f in file) {
    dir <- dirname(f)
    if (!dir.exists(dir)) {
      jntk_abort(sprintf("`file` is in the folder \"%s\", which does not exist; create it first or choose another path.", dir),
                 class = "jntk_error_file")
    }
    if (file.exists(f) || file.exists(paste0(f, ".desc"))) {
      jntk_abort(sprintf("\"%s\" (or its descriptor \"%s.desc\") already exists; remove it or choose another name.", f, f),
                 class = "jntk_error_file")
    }
  }
  normalizePath(file, mustWork = FALSE)
}

blocked_dimnames <- function(fun, x1, x2, jac, d) {
  if (jac) {
    if (startsWith(fun, "empirical")) return(NULL)
    return(list(jacobian_labels(x1, d), jacobian_labels(if (is.null(x2)) x1 else x2, d)))
  }
  if (startsWith(fun, "empirical")) return(NULL)
  dn <- list(rownames(x1), if (is.null(x2)) rownames(x1) else rownames(x2))
  if (is.null(dn[[1]]) && is.null(dn[[2]])) NULL else dn
}
