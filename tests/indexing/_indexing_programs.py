"""Programs that index one array with another, each form of gather and scatter once, with
repeated indices (a wrong adjoint of a duplicate shows up only then)."""

import math

import numpy as np

IDX = np.array([0, 2, 2, 1, 0, 3])


# --- gathers in loops -----------------------------------------------------------------------
def loop_gather(x, idx):
    s = 0.0
    for k in range(idx.shape[0]):
        s += math.sin(x[idx[k]]) * (k + 1.0)
    return s


def loop_gather_2d(a, idx):
    s = 0.0
    for k in range(idx.shape[0]):
        for j in range(a.shape[1]):
            s += a[idx[k], j] * a[idx[k], j] * (j + 1.0)
    return s


def edge_energy(pos, edges):
    e = 0.0
    for k in range(edges.shape[0]):
        a = edges[k, 0]
        b = edges[k, 1]
        d = pos[a] - pos[b]
        e += np.dot(d, d)
    return e


def index_under_branch(cams, obs):
    s = 0.0
    for i in range(obs.shape[0]):
        c = obs[i]
        x = cams[c, 0]
        if x != 0.0:
            s += x * cams[c, 1]
    return s


def index_as_bound(x, starts):
    """Indices loaded from an int array as loop bounds and slice bounds (CSR rows)."""
    s = 0.0
    for r in range(starts.shape[0] - 1):
        for p in range(starts[r], starts[r + 1]):
            s += x[p] * (r + 1.0)
        s += np.sum(x[starts[r]:starts[r + 1]] ** 2)
    return s


# --- scatters in loops ----------------------------------------------------------------------
def loop_scatter_add(x, w, idx):
    y = np.zeros(4)
    for k in range(idx.shape[0]):
        y[idx[k]] += w[k] * x[k]
    return np.sum(y * y)


def loop_scatter_set(x, v, idx):
    y = x * 1.0
    for k in range(idx.shape[0]):
        y[idx[k]] = v[k] * y[idx[k]]
    return np.sum(y * y)


def csr_matvec(data, x, indptr, indices):
    y = np.zeros(indptr.shape[0] - 1)
    for r in range(indptr.shape[0] - 1):
        acc = 0.0
        for p in range(indptr[r], indptr[r + 1]):
            acc += data[p] * x[indices[p]]
        y[r] = acc
    return np.sum(y * y)


# --- vectorised -----------------------------------------------------------------------------
def fancy_read(x, idx):
    return np.sum(np.tanh(x[idx]))


def rows_read(a, idx):
    b = a[idx, :]
    return np.sum(b * b)


def columns_read(a, idx):
    return np.sum(a[:, idx] ** 3)


def pairs_read(a, i, j):
    return np.sum(np.sin(a[i, j]))


def mask_read(x):
    return np.sum(x[x > 0.5] ** 2)


def fancy_set(x, v, idx):
    y = x * 1.0
    y[idx] = v
    return np.sum(y * y * np.arange(4.0))


def fancy_add(x, v, idx):
    y = x * 1.0
    y[idx] += v
    return np.sum(y * y * np.arange(4.0))


def add_at(x, idx):
    y = np.zeros(4)
    np.add.at(y, idx, x)
    return np.sum(y * y)


def add_at_rows(x, idx):
    y = np.zeros((4, 2))
    np.add.at(y, idx, x)
    return np.sum(y ** 3)


def take(x, idx):
    return np.sum(np.take(x, idx) ** 2)


def take_axis(a, idx):
    return np.sum(np.take(a, idx, axis=1) ** 2)


def take_along(a, ind):
    return np.sum(np.take_along_axis(a, ind, axis=1) ** 3)


def put(x, v):
    y = x * 1.0
    np.put(y, np.array([1, 1, 3]), v)
    return np.sum(y ** 3)


def bincount(x, idx):
    return np.sum(np.bincount(idx, weights=x, minlength=5) ** 2)


def where_one(x):
    return np.sum(x[np.where(x > 0.5)[0]] ** 2)


def producers(x, q):
    order = np.argsort(x)
    s = 0.0
    for k in range(order.shape[0]):
        s += x[order[k]] * (k + 1.0)
    (nz,) = np.nonzero(x > 0.3)
    return s + np.sum(x[np.searchsorted(q, x)] ** 2) + np.sum(np.sin(x[nz]))


# --- bundle adjustment (Agarwal et al., "Bundle Adjustment in the Large", 2010) ----------------
def rotate(aa0, aa1, aa2, x, y, z):
    """Rodrigues' rotation of (x, y, z) by the angle-axis vector aa (first order at 0).
    The square root is taken inside the branch, as Ceres does: sqrt'(0) is infinite, and a
    zero cotangent times it is NaN here as in JAX and PyTorch."""
    theta2 = aa0 * aa0 + aa1 * aa1 + aa2 * aa2
    if theta2 != 0.0:
        theta = math.sqrt(theta2)
        w0 = aa0 / theta
        w1 = aa1 / theta
        w2 = aa2 / theta
        c = math.cos(theta)
        s = math.sin(theta)
        cx = w1 * z - w2 * y
        cy = w2 * x - w0 * z
        cz = w0 * y - w1 * x
        t = (w0 * x + w1 * y + w2 * z) * (1.0 - c)
        return (x * c + cx * s + w0 * t, y * c + cy * s + w1 * t, z * c + cz * s + w2 * t)
    return (x + aa1 * z - aa2 * y, y + aa2 * x - aa0 * z, z + aa0 * y - aa1 * x)


def bundle_adjustment(cams, points, cam_idx, pt_idx, observed):
    """Sum of squared reprojection errors: camera = (angle-axis, translation, f, k1, k2),
    P = R X + t, p = -P[:2] / P[2], radial distortion 1 + k1 r^2 + k2 r^4."""
    e = 0.0
    for k in range(observed.shape[0]):
        c = cam_idx[k]
        p = pt_idx[k]
        x, y, z = rotate(cams[c, 0], cams[c, 1], cams[c, 2],
                         points[p, 0], points[p, 1], points[p, 2])
        x = x + cams[c, 3]
        y = y + cams[c, 4]
        z = z + cams[c, 5]
        u = -x / z
        v = -y / z
        r2 = u * u + v * v
        distortion = 1.0 + r2 * (cams[c, 7] + cams[c, 8] * r2)
        du = cams[c, 6] * distortion * u - observed[k, 0]
        dv = cams[c, 6] * distortion * v - observed[k, 1]
        e += du * du + dv * dv
    return e


def bundle_inputs(rng):
    cams = np.column_stack([rng.normal(0, 0.3, (3, 3)), rng.normal(0, 0.5, (3, 2)),
                            rng.uniform(-12, -8, (3, 1)), rng.uniform(0.8, 1.2, (3, 1)),
                            rng.normal(0, 0.05, (3, 2))])
    cams[1, :3] = 0.0       # one camera with no rotation: the theta == 0 branch
    points = rng.normal(0, 1.0, (4, 3))
    cam_idx = np.array([0, 1, 2, 0, 1, 1, 2, 0])
    pt_idx = np.array([0, 0, 1, 2, 3, 3, 1, 2])
    observed = rng.normal(0, 0.3, (8, 2))
    return cams, points, cam_idx, pt_idx, observed


def cases(rng):
    """(function, arguments, wrt positions)."""
    x4, x6 = rng.random(4), rng.random(6)
    a = rng.random((4, 3))
    ind = np.array([[0, 0, 1], [2, 3, 3], [1, 1, 1], [0, 3, 2]])
    edges = np.array([[0, 1], [1, 2], [2, 0], [0, 1]])
    indptr = np.array([0, 2, 2, 5, 6])
    indices = np.array([1, 3, 1, 1, 0, 3])
    return [
        (loop_gather, (x4, IDX), (0,)),
        (loop_gather_2d, (a, IDX), (0,)),
        (edge_energy, (rng.random((3, 2)), edges), (0,)),
        (index_under_branch, (rng.random((3, 2)), np.array([0, 2, 2, 1])), (0,)),
        (index_as_bound, (x6, np.array([0, 2, 2, 6])), (0,)),
        (loop_scatter_add, (x6, rng.random(6), IDX), (0, 1)),
        (loop_scatter_set, (x4, x6, IDX), (0, 1)),
        (csr_matvec, (x6, x4, indptr, indices), (0, 1)),
        (fancy_read, (x4, IDX), (0,)),
        (rows_read, (a, IDX), (0,)),
        (columns_read, (rng.random((3, 4)), IDX), (0,)),
        (pairs_read, (rng.random((4, 4)), np.array([0, 1, 1, 3]), np.array([2, 2, 2, 0])), (0,)),
        (mask_read, (x6,), (0,)),
        (fancy_set, (x4, x6, IDX), (0, 1)),
        (fancy_add, (x4, x6, IDX), (0, 1)),
        (add_at, (x6, IDX), (0,)),
        (add_at_rows, (rng.random((6, 2)), IDX), (0,)),
        (take, (x4, IDX), (0,)),
        (take_axis, (rng.random((3, 4)), IDX), (0,)),
        (take_along, (rng.random((4, 4)), ind), (0,)),
        (put, (x4, rng.random(3)), (0, 1)),
        (bincount, (x6, IDX), (0,)),
        (where_one, (x6,), (0,)),
        (producers, (x6, np.array([0.1, 0.5, 0.9])), (0,)),
        (bundle_adjustment, bundle_inputs(rng), (0, 1)),
    ]
