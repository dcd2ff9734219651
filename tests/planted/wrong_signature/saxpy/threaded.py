"""Planted: the function takes fewer parameters than the contract says."""


def saxpy(a, x):
    return a * x
