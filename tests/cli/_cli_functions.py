"""A user module for the command-line tests."""
import math


def spring(x, k):
    s = 0.0
    for i in range(10):
        s = s + k * math.sin(x * i)
    return s
