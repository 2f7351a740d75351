# Interrupt latency: how long a long-running jntk call takes to give control
# back after Ctrl-C. The call runs in a child R process (callr::r_bg) that
# catches the interrupt with tryCatch(interrupt = ) and reports the time it did;
# the parent sends SIGINT `after` seconds into the call and measures from the
# moment it sent it. Both clocks are the same machine's wall clock.

# TRUE when a child process can be interrupted here: callr is installed and
# the platform has POSIX signals (tools::SIGINT is NA on Windows).
interrupt_supported <- function() {
  requireNamespace("callr", quietly = TRUE) && !is.na(tools::SIGINT) &&
    .Platform$OS.type == "unix"
}

skip_if_no_interrupt <- function() {
  skip_if_not(interrupt_supported(), "needs callr and POSIX signals to interrupt a child R process")
}

# Runs `setup` (not timed, not interrupted) and then `expr` in a fresh R
# process with jntk loaded from the current library path; sends SIGINT `after`
# seconds after `expr` started and waits up to `timeout` seconds. With
# quoted = TRUE, `expr` and `setup` are expressions already.
# Returns a list:
#   status  "interrupted" (the child caught the interrupt), "finished" (expr
#           ended before or without noticing it), "error" (expr failed, with
#           `message`), "timeout" (the child did not come back; killed) or
#           "died" (the child crashed);
#   delay   seconds from SIGINT to the child's handler (Inf on timeout / died);
#   elapsed seconds the child spent in `expr`.
interrupt_delay <- function(expr, setup = NULL, after = 2, timeout = 60, quoted = FALSE) {
  if (!quoted) {
    expr <- substitute(expr)
    setup <- substitute(setup)
  }
  ready <- tempfile("jntk-interrupt-")
  on.exit(unlink(ready), add = TRUE)
  child <- function(expr, setup, ready) {
    suppressPackageStartupMessages(library(jntk))
    env <- new.env(parent = globalenv())
    eval(setup, env)
    t0 <- Sys.time()
    file.create(ready)
    out <- tryCatch({
      eval(expr, env)
      list(status = "finished", time = Sys.time())
    }, interrupt = function(e) list(status = "interrupted", time = Sys.time()),
    error = function(e) list(status = "error", time = Sys.time(), message = conditionMessage(e)))
    out$elapsed <- as.numeric(difftime(out$time, t0, units = "secs"))
    out
  }
  p <- callr::r_bg(child, list(expr = expr, setup = setup, ready = ready),
                   libpath = .libPaths(), supervise = TRUE)
  on.exit(if (p$is_alive()) p$kill(), add = TRUE)
  t_wait <- Sys.time()
  while (!file.exists(ready) && p$is_alive() &&
         difftime(Sys.time(), t_wait, units = "secs") < timeout) Sys.sleep(0.01)
  if (!file.exists(ready)) {
    p$wait(1000)
    return(interrupt_result(p, "setup did not finish"))
  }
  Sys.sleep(after)
  t_sent <- Sys.time()
  tools::pskill(p$get_pid(), tools::SIGINT)
  p$wait(timeout * 1000)
  if (p$is_alive()) {
    p$kill()
    return(list(status = "timeout", delay = Inf, elapsed = NA_real_))
  }
  res <- interrupt_result(p)
  if (!is.null(res$time)) res$delay <- as.numeric(difftime(res$time, t_sent, units = "secs"))
  res
}

interrupt_result <- function(p, why = NULL) {
  res <- tryCatch(p$get_result(), error = function(e) NULL)
  if (is.null(res)) {
    return(list(status = "died", delay = Inf, elapsed = NA_real_,
                message = paste(c(why, tryCatch(p$read_all_error(), error = function(e) "")),
                                collapse = ": ")))
  }
  res
}

# One line per case for the test output and the report.
format_interrupt <- function(name, r) {
  sprintf("%-40s %-11s delay %6.2f s (ran %6.2f s)%s", name, r$status, r$delay,
          if (is.null(r$elapsed)) NA_real_ else r$elapsed,
          if (is.null(r$message)) "" else paste0(": ", r$message))
}
