"""The Linux kernel builder: Debian's kernel source, profiles -> tailored sandbox kernels, the
initramfs holding runu's init, and runu's C parts (ext/), each cached and checked."""
