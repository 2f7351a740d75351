# Package options, set when the namespace loads unless the user already set
# them (in .Rprofile, or before loading): getOption() then shows the values
# in force instead of NULL.
#   jntk.threads        default number of threads of every computation (1)
#   jntk.max_memory_gb  largest allocation the package attempts; larger
#                       requests are refused before allocating, with the size
#                       and an alternative (80% of physical memory)
.onLoad <- function(libname, pkgname) {
  defaults <- jntk_default_options()
  unset <- !(names(defaults) %in% names(options()))
  if (any(unset)) options(defaults[unset])
  invisible()
}

jntk_default_options <- function() {
  list(jntk.threads = 1L,
       jntk.max_memory_gb = signif(0.8 * physical_memory_gb(), 3))
}
