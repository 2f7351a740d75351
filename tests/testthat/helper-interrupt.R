# Interrupt latency: run fun(...) in a child R process (callr), send SIGINT
# after `after` seconds and return the seconds until the child has stopped
# (NA when the call finished before the signal, so the test says nothing).
interrupt_latency <- function(fun, args = list(), after = 2, limit = 30) {
  p <- callr::r_bg(fun, args = args, supervise = TRUE)
  on.exit(if (p$is_alive()) p$kill(), add = TRUE)
  t0 <- Sys.time()
  while (as.numeric(Sys.time() - t0, units = "secs") < after) {
    if (!p$is_alive()) return(NA_real_)
    Sys.sleep(0.05)
  }
  tools::pskill(p$get_pid(), tools::SIGINT)
  ts <- Sys.time()
  while (p$is_alive() && as.numeric(Sys.time() - ts, units = "secs") < limit) Sys.sleep(0.01)
  as.numeric(Sys.time() - ts, units = "secs")
}
