library(testthat)
library(jntk)

test_check("jntk")
