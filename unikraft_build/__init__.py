"""The unified builder: kernel profiles -> tailored kernels, recipes -> images, footprint reports."""
