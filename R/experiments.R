# Reproducible, resumable experiment runs: the scripts in inst/experiments/
# define an experiment (settings by size, a table of cells, one function per
# cell, one that collates the cells into the numbers behind a figure); this
# file runs them, caches every finished cell, times it and records the
# machine, so that a run interrupted (or stopped by a time limit) continues
# where it stopped and the result says how it was obtained.

#' Run one of the papers' experiments at its own size
#'
#' Runs the script `inst/experiments/<name>.R` of the installed package (one
#' per figure of Jacot et al. 2018 and Kim and Yang 2024, see Details), cell
#' by cell, and returns the compact result behind the figure. The same command
#' from a shell is `Rscript inst/experiments/<name>.R` in the package sources
#' (options `--size=small`, `--cache=DIR`, `--out=FILE`, `--threads=N`,
#' `--set=name=value`), which writes `inst/extdata/<name>.rds`.
#'
#' **Resumable.** Each cell (e.g. one network of one width and depth) is saved
#' as soon as it finishes under `cache_dir`, in a folder named after the
#' experiment, the size and a fingerprint of the settings; a new run with the
#' same settings skips the finished cells, so an interrupted run loses at
#' most one cell. Every cell draws its random numbers after
#' `set.seed(cell$seed)` (seeds recorded in the result), so the result does
#' not depend on which cells came from the cache.
#'
#' **Budget.** `max_minutes` stops starting new cells after that many minutes
#' of wall time; the result then holds the finished cells only (`complete =
#' FALSE`), with the measured time per cell and the extrapolated time of the
#' whole setting (`time$extrapolated_cpu`), and a later run finishes it.
#' `max_minutes = 0` runs no cell: it collates the cells already cached.
#'
#' `Rscript` reads a script as it runs it, so do not edit a script while a
#' run of it is going: run a copy (`--out=` then says where the result goes).
#' For the wide networks use an optimised BLAS (e.g. OpenBLAS, through
#' `LD_LIBRARY_PATH` on Linux); the result records which one ran.
#'
#' Available experiments (`run_experiment()` without arguments lists them):
#' `"jacot2018-fig1"` (the NTK along the circle at t = 0 and 200),
#' `"jacot2018-fig2"` (trained networks against the 10/50/90 % bands),
#' `"jacot2018-fig3"` (convergence along the 2nd kernel principal component,
#' Fashion-MNIST), `"kimyang2024-fig1"` and `"-fig2"` (finite-width Jacobian
#' NNGP and JNTK against their limits), `"-fig3"` (the JNTK during
#' Jacobian-regularised training), `"-fig4"` and `"-fig5"` (eigenfeatures and
#' robustness of the kernel regressor), `"-fig6"` (the smallest eigenvalue
#' against depth). The settings each uses, and where they differ from the
#' paper's, are in the header of each script and in `result$settings`.
#'
#' @param name An experiment name (see Details), or an experiment definition
#'   (the list `experiment` a script defines).
#' @param size `"paper"` (the paper's settings, the default) or `"small"` (a
#'   run of a minute or two that exercises the same code).
#' @param set A named list of settings to override (e.g. `list(widths =
#'   c(64, 128))`); they are recorded in the result.
#' @param cache_dir Folder for the finished cells (created if needed).
#' @param output File to write the result to (`.rds`), or `NULL` to only
#'   return it.
#' @param threads Number of threads handed to the package's functions.
#' @param max_minutes Stop starting cells after this many minutes (wall time).
#' @param progress Show progress: a bar in interactive sessions, one line per
#'   cell otherwise.
#' @param args Command-line arguments (used by the scripts when run with
#'   `Rscript`); they override the arguments above.
#' @return Invisibly, an object of class `"jntk_experiment"`: a list with
#'   `name`, `title`, `size`, `complete`, `settings` (every size and scale),
#'   `overrides` (the settings changed from the script's defaults by `set`),
#'   `seeds` (the base seed, the RNG kinds and the seed of every cell),
#'   `cells` (one row per cell: its parameters, `seed`, `wall`, `cpu` seconds
#'   and whether it came from this run), `data` (the numbers behind the
#'   figure; `NULL` for an incomplete run whose finished cells do not
#'   suffice, with `data_error` saying why), `time` (total wall and CPU seconds over the cells, this run's
#'   wall time, and for an incomplete run the extrapolated CPU time), `blas`
#'   (BLAS and LAPACK libraries, threads), `package` (version), `R`, `date`,
#'   `machine` (cores, load averages).
#' @seealso The vignettes `vignette("ntk-jacot2018")` and
#'   `vignette("jacobian-kim-yang2024")`, which draw the shipped results
#'   (`system.file("extdata", package = "jntk")`).
#' @examples
#' run_experiment()                     # the list of experiments
#' \donttest{
#' res <- run_experiment("kimyang2024-fig6", size = "small",
#'                       cache_dir = file.path(tempdir(), "jntk-cache"))
#' res
#' }
#' @export
run_experiment <- function(name, size = c("paper", "small"), set = list(),
                           cache_dir = tools::R_user_dir("jntk", "cache"), output = NULL,
                           threads = default_threads(), max_minutes = Inf,
                           progress = TRUE, args = NULL) {
  if (missing(name)) return(experiment_list())
  if (!is.null(args)) {
    cli <- experiment_args(args)
    if (!is.null(cli$size)) size <- cli$size
    if (!is.null(cli$cache)) cache_dir <- cli$cache
    if (!is.null(cli$out)) output <- cli$out
    if (!is.null(cli$threads)) threads <- cli$threads
    if (!is.null(cli$max_minutes)) max_minutes <- cli$max_minutes
    set <- utils::modifyList(set, cli$set)
  }
  size <- check_choice(size, c("paper", "small"), "size")
  spec <- if (is.list(name)) check_experiment(name) else load_experiment(name)
  if (!is.null(args) && is.null(output)) output <- script_output(spec$name, size)
  if (!is.list(set) || (length(set) && (is.null(names(set)) || any(!nzchar(names(set)))))) {
    jntk_abort("`set` must be a named list of settings, e.g. `list(widths = c(64, 128))`.",
               class = "jntk_error_argument")
  }
  threads <- check_threads(threads)
  if (!identical(max_minutes, Inf)) {
    max_minutes <- check_number(max_minutes, "max_minutes", lower = 0)
  }
  progress <- check_flag(progress, "progress")

  settings <- spec$settings(size)
  unknown <- setdiff(names(set), names(settings))
  if (length(unknown)) {
    jntk_abort(sprintf("`set` names settings that %s does not have: %s. Its settings are: %s.",
                       spec$name, paste(unknown, collapse = ", "),
                       paste(names(settings), collapse = ", ")),
               class = "jntk_error_argument")
  }
  settings <- utils::modifyList(settings, set)
  settings$threads <- threads
  cells <- spec$cells(settings)
  cells$seed <- as.integer(settings$seed + seq_len(nrow(cells)))
  cells$id <- sprintf("cell%04d", seq_len(nrow(cells)))

  dir <- file.path(cache_dir, spec$name, paste0(size, "-", settings_fingerprint(settings, cells)))
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  if (!dir.exists(dir)) {
    jntk_abort(sprintf("Cannot create the cache folder '%s'; give a writable `cache_dir`.", dir),
               class = "jntk_error_io")
  }
  saveRDS(list(settings = settings, cells = cells), file.path(dir, "settings.rds"))

  shared <- if (is.function(spec$shared)) spec$shared(settings) else NULL
  t_start <- proc.time()[["elapsed"]]
  results <- vector("list", nrow(cells))
  fresh <- logical(nrow(cells))
  files <- file.path(dir, paste0(cells$id, ".rds"))
  done <- file.exists(files)
  for (i in which(done)) results[[i]] <- readRDS(files[i])
  todo <- which(!done)
  cost <- if (is.function(spec$cost)) spec$cost(cells, settings) else rep(1, nrow(cells))
  bar <- experiment_progress(progress, spec$name, size, cost, done)
  for (i in todo) {
    if (max_minutes == 0 || (proc.time()[["elapsed"]] - t_start) / 60 > max_minutes) break
    results[[i]] <- run_cell(spec, cells[i, , drop = FALSE], settings, shared)
    fresh[i] <- TRUE
    # write, then rename: a cell is either complete on disk or absent
    tmp <- paste0(files[i], ".part")
    saveRDS(results[[i]], tmp)
    file.rename(tmp, files[i])
    bar$step(i, cells[i, , drop = FALSE], results[[i]]$time)
  }
  bar$close()
  finished <- !vapply(results, is.null, TRUE)
  res <- collate_experiment(spec, size, settings, cells, results, finished, fresh,
                            proc.time()[["elapsed"]] - t_start, shared, set)
  if (!res$complete) {
    message(sprintf("%s (%s): %d of %d cells finished; %s. Run again to continue.%s%s",
                    spec$name, size, sum(finished), nrow(cells),
                    if (any(finished)) sprintf("the whole setting needs about %s of CPU time (%.3g s per cell measured)",
                                               format_seconds(res$time$extrapolated_cpu), res$time$cpu_per_cell)
                    else "no cell has been timed yet",
                    if (is.null(res$data_error)) "" else
                      sprintf(" The figure's numbers need more cells (%s).", res$data_error),
                    experiment_hint(spec$name, size, set, cache_dir, dir)))
  }
  if (!is.null(output)) {
    dir.create(dirname(output), recursive = TRUE, showWarnings = FALSE)
    saveRDS(res, output, compress = "xz")
    if (progress) message(sprintf("wrote %s (%s)", output, format_bytes(file.size(output))))
  }
  invisible(res)
}

# One cell: seeded, timed (wall and CPU, including child processes), with the
# BLAS it ran under and the machine's load when it started.
run_cell <- function(spec, cell, settings, shared) {
  set.seed(cell$seed, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  load <- machine_load()
  t0 <- proc.time()
  value <- spec$run_cell(cell, settings, shared)
  dt <- proc.time() - t0
  cpu <- sum(dt[c(1, 2)]) + sum(dt[c(4, 5)], na.rm = TRUE)
  list(value = value, time = c(wall = dt[["elapsed"]], cpu = cpu), load = load,
       blas = blas_name(), date = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"))
}

collate_experiment <- function(spec, size, settings, cells, results, finished, fresh, this_wall,
                               shared, overrides = list()) {
  wall <- vapply(results, function(r) if (is.null(r)) NA_real_ else r$time[["wall"]], 0)
  cpu <- vapply(results, function(r) if (is.null(r)) NA_real_ else r$time[["cpu"]], 0)
  cells$wall <- wall
  cells$cpu <- cpu
  cells$finished <- finished
  cells$this_run <- fresh
  values <- lapply(results, function(r) r$value)
  # an incomplete run collates what it has where the script can; where it
  # cannot (e.g. a fit across widths with one width done), data is NULL and
  # data_error says why
  data <- NULL
  data_error <- NULL
  if (all(finished)) {
    data <- spec$collate(cells[finished, , drop = FALSE], values[finished], settings, shared)
  } else if (!any(finished)) {
    data_error <- "no cell is finished"
  } else {
    data <- tryCatch(spec$collate(cells[finished, , drop = FALSE], values[finished], settings, shared),
                     error = function(e) {
                       data_error <<- sprintf("collating %d of %d cells failed: %s", sum(finished),
                                              length(finished), conditionMessage(e))
                       NULL
                     })
  }
  blas <- unique(unlist(lapply(results[finished], `[[`, "blas")))
  loads <- do.call(rbind, lapply(results[finished], `[[`, "load"))
  per_cell <- if (any(finished)) sum(cpu, na.rm = TRUE) / sum(finished) else NA_real_
  # cells differ in cost (width, depth): extrapolate with the script's cost
  # model of each cell when it gives one, else with the mean
  extra <- if (all(finished)) sum(cpu) else {
    w <- if (is.function(spec$cost)) spec$cost(cells, settings) else rep(1, nrow(cells))
    if (any(finished)) sum(cpu[finished]) / sum(w[finished]) * sum(w) else NA_real_
  }
  structure(list(
    name = spec$name, title = spec$title, paper = spec$paper, size = size,
    complete = all(finished), settings = settings, overrides = overrides,
    seeds = list(base = settings$seed, cells = cells$seed,
                 kind = c("Mersenne-Twister", "Inversion", "Rejection")),
    cells = cells, data = data, data_error = data_error,
    time = list(wall = sum(wall, na.rm = TRUE), cpu = sum(cpu, na.rm = TRUE),
                this_run_wall = this_wall, cpu_per_cell = per_cell,
                extrapolated_cpu = extra),
    blas = list(blas = blas, blas_loaded = blas_name(), lapack = La_library(),
                threads = settings$threads,
                openblas_threads = Sys.getenv("OPENBLAS_NUM_THREADS", NA),
                omp_threads = Sys.getenv("OMP_NUM_THREADS", NA)),
    package = as.character(utils::packageVersion("jntk")), R = R.version.string,
    date = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"),
    machine = list(cores = parallel::detectCores(), sysname = Sys.info()[["sysname"]],
                   load_at_cells = if (is.null(loads)) NULL else colMeans(loads))
  ), class = "jntk_experiment")
}

# For an incomplete run: the settings under which cells of this experiment
# are cached elsewhere, and those of the shipped result, as --set= options
# (a re-run with other settings has its own cache folder and starts afresh).
experiment_hint <- function(name, size, set, cache_dir, dir) {
  as_opts <- function(s) {
    if (!length(s)) return("the defaults (no --set=)")
    paste(sprintf("--set=%s=%s", names(s), vapply(s, function(v) paste(format(v, scientific = FALSE,
                                                                           trim = TRUE), collapse = ","), "")),
          collapse = " ")
  }
  out <- character()
  shipped <- if (size == "paper") system.file("extdata", paste0(name, ".rds"), package = "jntk") else ""
  if (nzchar(shipped)) {
    ov <- tryCatch(readRDS(shipped)$overrides, error = function(e) NULL)
    if (!is.null(ov) && !identical(unname(lapply(ov, as.vector)), unname(lapply(set, as.vector)))) {
      out <- c(out, sprintf("The shipped result was run with %s.", as_opts(ov)))
    }
  }
  others <- setdiff(list.dirs(file.path(cache_dir, name), recursive = FALSE), dir)
  others <- others[startsWith(basename(others), paste0(size, "-"))]
  for (o in others) {
    n_done <- length(list.files(o, pattern = "^cell[0-9]+\\.rds$"))
    st <- tryCatch(readRDS(file.path(o, "settings.rds")), error = function(e) NULL)
    if (!n_done || is.null(st)) next
    out <- c(out, sprintf("%s holds %d of %d cells, run with %s.", o, n_done,
                          nrow(st$cells), as_opts(experiment_diff(st$settings, name, size))))
  }
  if (length(out)) paste(c("", out), collapse = " ") else ""
}

# The settings of a cache folder that differ from the script's defaults.
experiment_diff <- function(settings, name, size) {
  base <- tryCatch(load_experiment(name)$settings(size), error = function(e) NULL)
  if (is.null(base)) return(list())
  keep <- setdiff(names(settings), "threads")
  diff <- keep[!vapply(keep, function(k) isTRUE(all.equal(settings[[k]], base[[k]])), TRUE)]
  settings[diff]
}

#' @export
print.jntk_experiment <- function(x, ...) {
  cat(sprintf("<jntk_experiment> %s (%s size%s)\n  %s\n", x$name, x$size,
              if (x$complete) "" else ", INCOMPLETE", x$title))
  cat(sprintf("  cells      : %d finished of %d\n", sum(x$cells$finished), nrow(x$cells)))
  cat(sprintf("  time       : %s wall, %s CPU over the cells%s\n", format_seconds(x$time$wall),
              format_seconds(x$time$cpu),
              if (x$complete) "" else sprintf("; whole setting about %s CPU",
                                              format_seconds(x$time$extrapolated_cpu))))
  cat(sprintf("  BLAS       : %s (threads %s)\n", paste(basename(x$blas$blas), collapse = ", "),
              x$blas$threads))
  cat(sprintf("  jntk %s, %s, %s\n", x$package, x$R, x$date))
  invisible(x)
}

# "12.3 s", "4.5 min", "2.1 h" (vectorised)
format_seconds <- function(s) {
  vapply(s, function(v) {
    if (!is.finite(v)) "NA" else if (v < 120) sprintf("%.1f s", v) else
      if (v < 7200) sprintf("%.1f min", v / 60) else sprintf("%.1f h", v / 3600)
  }, "")
}

blas_name <- function() unname(extSoftVersion()[["BLAS"]])

# The 1-, 5- and 15-minute load averages (Linux), else NA: a shared machine's
# wall times mean little without them.
machine_load <- function() {
  v <- tryCatch(scan("/proc/loadavg", what = "", n = 3L, quiet = TRUE), error = function(e) NULL,
                warning = function(w) NULL)
  out <- suppressWarnings(as.double(v))
  if (length(out) != 3L) out <- rep(NA_real_, 3L)
  stats::setNames(out, c("load1", "load5", "load15"))
}

# A short fingerprint of the settings and cells, so that a cache folder never
# mixes cells of different settings.
settings_fingerprint <- function(settings, cells) {
  txt <- paste(c(deparse(settings[setdiff(names(settings), "threads")], control = "digits17"),
                 deparse(as.list(cells), control = "digits17")), collapse = "\n")
  f <- tempfile()
  on.exit(unlink(f))
  writeLines(txt, f)
  substr(unname(tools::md5sum(f)), 1L, 10L)
}

# Where `Rscript inst/experiments/X.R` writes: the paper-size result into
# inst/extdata/ of the sources beside the script, a small run into the
# working directory (never over the shipped result).
script_output <- function(name, size) {
  file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (size == "paper" && length(file) == 1L && file.exists(file)) {
    return(file.path(dirname(dirname(normalizePath(file))), "extdata", paste0(name, ".rds")))
  }
  file.path(getwd(), paste0(name, "-", size, ".rds"))
}

experiment_dir <- function() {
  system.file("experiments", package = "jntk")
}

experiment_list <- function() {
  files <- list.files(experiment_dir(), pattern = "^[a-z0-9]+-fig[0-9]+\\.R$", full.names = TRUE)
  nm <- sub("\\.R$", "", basename(files))
  title <- vapply(files, function(f) {
    load_experiment(sub("\\.R$", "", basename(f)))$title
  }, "")
  shipped <- vapply(nm, function(n) nzchar(system.file("extdata", paste0(n, ".rds"), package = "jntk")), TRUE)
  data.frame(name = nm, title = unname(title), shipped = unname(shipped), stringsAsFactors = FALSE)
}

load_experiment <- function(name) {
  if (!is.character(name) || length(name) != 1L || is.na(name)) {
    jntk_abort("`name` must be one experiment name such as \"kimyang2024-fig1\"; `run_experiment()` lists them.",
               class = "jntk_error_argument")
  }
  file <- file.path(experiment_dir(), paste0(name, ".R"))
  if (!nzchar(experiment_dir()) || !file.exists(file)) {
    known <- sub("\\.R$", "", list.files(experiment_dir(), pattern = "^[a-z0-9]+-fig[0-9]+\\.R$"))
    jntk_abort(sprintf("There is no experiment \"%s\"; the experiments are %s.", name,
                       choice_list(known)), class = "jntk_error_argument")
  }
  e <- new.env(parent = globalenv())
  # scripts that build on another one source it from beside themselves
  assign("experiment_file", file, envir = e)
  sys.source(file, envir = e)
  check_experiment(e$experiment)
}

check_experiment <- function(spec) {
  need <- c("name", "title", "settings", "cells", "run_cell", "collate")
  if (!is.list(spec) || !all(need %in% names(spec)) ||
      !all(vapply(spec[c("settings", "cells", "run_cell", "collate")], is.function, TRUE))) {
    jntk_abort(sprintf("An experiment definition must be a list with %s (functions for the last four).",
                       paste(need, collapse = ", ")), class = "jntk_error_argument")
  }
  spec
}

# --size=small --cache=DIR --out=FILE --threads=2 --max-minutes=80
# --set=widths=64,128 (numbers are parsed; commas give vectors)
experiment_args <- function(args) {
  out <- list(set = list())
  for (a in args) {
    m <- regmatches(a, regexec("^--([a-z_-]+)=(.*)$", a))[[1]]
    if (length(m) != 3L) {
      jntk_abort(sprintf("Unknown argument '%s'; use --size=, --cache=, --out=, --threads=, --max-minutes= or --set=name=value.", a),
                 class = "jntk_error_argument")
    }
    key <- gsub("-", "_", m[2]); val <- m[3]
    if (key == "set") {
      kv <- regmatches(val, regexec("^([A-Za-z0-9_.]+)=(.*)$", val))[[1]]
      if (length(kv) != 3L) {
        jntk_abort(sprintf("--set needs name=value, not '%s'.", val), class = "jntk_error_argument")
      }
      parts <- strsplit(kv[3], ",", fixed = TRUE)[[1]]
      num <- suppressWarnings(as.double(parts))
      out$set[[kv[2]]] <- if (all(!is.na(num))) num else parts
    } else if (key %in% c("threads", "max_minutes")) {
      out[[key]] <- as.double(val)
    } else if (key %in% c("size", "cache", "out")) {
      out[[key]] <- val
    } else {
      jntk_abort(sprintf("Unknown argument '--%s'; use --size=, --cache=, --out=, --threads=, --max-minutes= or --set=.", m[2]),
                 class = "jntk_error_argument")
    }
  }
  out
}

# Progress over cells: a text bar in interactive sessions, otherwise one line
# per cell with its time and the time left, estimated from the wall time per
# unit of the script's cost model (cells differ in cost).
experiment_progress <- function(on, name, size, cost, done) {
  n <- length(cost)
  if (!on) return(list(step = function(...) NULL, close = function() NULL))
  if (any(done)) message(sprintf("%s (%s): %d of %d cells already in the cache", name, size, sum(done), n))
  k <- sum(done)
  if (interactive()) {
    pb <- utils::txtProgressBar(min = 0, max = n, initial = k, style = 3)
    return(list(step = function(...) { k <<- k + 1L; utils::setTxtProgressBar(pb, k) },
                close = function() close(pb)))
  }
  left_cost <- sum(cost[!done])
  spent <- 0
  spent_cost <- 0
  list(step = function(i, cell, time) {
    k <<- k + 1L
    spent <<- spent + time[["wall"]]
    spent_cost <<- spent_cost + cost[i]
    left_cost <<- left_cost - cost[i]
    left <- if (spent_cost > 0) spent / spent_cost * left_cost else NA_real_
    keys <- setdiff(names(cell), c("id", "seed"))
    desc <- paste(sprintf("%s=%s", keys, vapply(cell[keys], function(v) format(v[[1]]), "")),
                  collapse = " ")
    message(sprintf("[%s] %s %d/%d %s: %.1f s wall, %.1f s CPU; about %s left",
                    format(Sys.time(), "%H:%M:%S"), name, k, n, desc, time[["wall"]],
                    time[["cpu"]], format_seconds(left)))
  }, close = function() NULL)
}
