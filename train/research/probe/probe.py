# Ridge probe (5-fold CV) from the pooled features to age; usage: python3 probe.py [train_prefix test_prefix out.md]
import json, sys, numpy as np
names = ['px', 'fm_s16', 'fm_trunk', 'fm_meshbr', 'bf_16', 'bf_8']
def load(split):
    m = json.load(open(f'{split}_meta.json'))
    F = {n: np.fromfile(f'{split}_{n}.f32', dtype=np.float32).reshape(m['n'], m['dims'][n]).astype(np.float64) for n in names}
    return F, np.array(m['ages'], dtype=np.float64)
tp, ep, outmd = (sys.argv[1:4] if len(sys.argv) > 3 else ['train', 'test', 'results.md'])
Ftr, ytr = load(tp); Fte, yte = load(ep)
combos = {'fm_s16+fm_trunk': ['fm_s16', 'fm_trunk'], 'fm_all': ['fm_s16', 'fm_trunk', 'fm_meshbr'], 'bf_16+bf_8': ['bf_16', 'bf_8']}
lams = np.logspace(-3, 5, 33)
def fit(X, y, lam):  # X standardised; intercept = mean(y)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    return Vt.T @ ((s / (s**2 + lam)) * (U.T @ (y - y.mean()))), y.mean()
def std(Xtr, Xte):
    mu, sd = Xtr.mean(0), Xtr.std(0); sd[sd < 1e-8] = 1
    return (Xtr - mu) / sd, (Xte - mu) / sd
rng = np.random.default_rng(1); fold = rng.permutation(len(ytr)) % 5
bands = [(0, 12), (13, 19), (20, 39), (40, 59), (60, 79), (80, 200)]
def probe(Xtr, Xte):
    cv = np.zeros(len(lams))
    for k in range(5):
        a, b = std(Xtr[fold != k], Xtr[fold == k])
        ya = ytr[fold != k]; yb = ytr[fold == k]
        U, s, Vt = np.linalg.svd(a, full_matrices=False); r = U.T @ (ya - ya.mean())
        for j, lam in enumerate(lams):
            w = Vt.T @ ((s / (s**2 + lam)) * r)
            cv[j] += np.abs(b @ w + ya.mean() - yb).sum()
    cv /= len(ytr); j = int(np.argmin(cv))
    a, b = std(Xtr, Xte); w, c = fit(a, ytr, lams[j]); p = b @ w + c
    return lams[j], cv[j], p
rows = []
base = np.abs(yte - ytr.mean()).mean(); basemed = np.abs(yte - np.median(ytr)).mean()
print(f'n_train={len(ytr)} n_test={len(yte)} train mean age={ytr.mean():.2f}')
print(f'baseline train-mean MAE={base:.2f} (train-median MAE={basemed:.2f})')
allsets = {n: [n] for n in names}; allsets.update(combos)
hdr = '| features | dim | lambda (5-fold CV) | CV MAE | test MAE | test RMSE | ' + ' | '.join(f'{lo}-{hi if hi<200 else "+"}' for lo, hi in bands) + ' |'
out = [hdr, '|' + '---|' * (6 + len(bands))]
bandrow = lambda p: ' | '.join(f'{np.abs(p - yte)[(yte >= lo) & (yte <= hi)].mean():.1f}' for lo, hi in bands)
out.append(f'| train-mean baseline | 0 | - | - | {base:.2f} | {np.sqrt(((yte-ytr.mean())**2).mean()):.2f} | ' + bandrow(np.full_like(yte, ytr.mean())) + ' |')
for n, parts in allsets.items():
    Xtr = np.hstack([Ftr[q] for q in parts]); Xte = np.hstack([Fte[q] for q in parts])
    lam, cvm, p = probe(Xtr, Xte)
    out.append(f'| {n} | {Xtr.shape[1]} | {lam:.3g} | {cvm:.2f} | {np.abs(p-yte).mean():.2f} ± {np.abs(p-yte).std()/np.sqrt(len(yte)):.2f} | {np.sqrt(((p-yte)**2).mean()):.2f} | ' + bandrow(p) + ' |')
    if lam in (lams[0], lams[-1]): out[-1] += ' (lambda at grid edge)'
out.append('')
out.append('test counts per band: ' + ', '.join(f'{lo}-{hi if hi<200 else "+"}: {int(((yte>=lo)&(yte<=hi)).sum())}' for lo, hi in bands))
print('\n'.join(out)); open(outmd, 'w').write('\n'.join(out) + '\n')
