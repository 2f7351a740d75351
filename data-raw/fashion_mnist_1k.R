# Makes data/fashion_mnist_1k.rda: a class-balanced subset of the
# Fashion-MNIST test set (Zalando Research, MIT licence; see inst/COPYRIGHTS).
#
# Source files: the Debian package dataset-fashion-mnist
#   apt-get install -y dataset-fashion-mnist
#   dpkg -L dataset-fashion-mnist   # -> /usr/share/datasets/fashion-mnist/*.gz
# Run from the package root with jntk installed (it provides read_idx()):
#   Rscript data-raw/fashion_mnist_1k.R
#
# Selection (deterministic, no random numbers): the first 100 images of each
# of the 10 classes in test-set order, kept in test-set order, so any prefix
# (e.g. the first 512 rows) mixes the classes.

library(jntk)

dir <- "/usr/share/datasets/fashion-mnist"
images_all <- read_idx(file.path(dir, "t10k-images-idx3-ubyte.gz"), flatten = TRUE)
labels_all <- read_idx(file.path(dir, "t10k-labels-idx1-ubyte.gz"))
stopifnot(nrow(images_all) == 10000L, ncol(images_all) == 784L,
          length(labels_all) == 10000L, all(labels_all %in% 0:9))

per_class <- 100L
keep <- sort(unlist(lapply(0:9, function(k) which(labels_all == k)[seq_len(per_class)])))

classes <- c("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
fashion_mnist_1k <- list(
  images = images_all[keep, , drop = FALSE],
  labels = factor(classes[labels_all[keep] + 1L], levels = classes),
  index = as.integer(keep)
)
storage.mode(fashion_mnist_1k$images) <- "integer"
stopifnot(all(table(fashion_mnist_1k$labels) == per_class),
          all(fashion_mnist_1k$images >= 0L), all(fashion_mnist_1k$images <= 255L))

save(fashion_mnist_1k, file = "data/fashion_mnist_1k.rda", compress = "xz",
     compression_level = 9)
message("wrote data/fashion_mnist_1k.rda: ",
        file.size("data/fashion_mnist_1k.rda"), " bytes")
