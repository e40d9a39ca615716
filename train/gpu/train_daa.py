"""PyTorch trainer for DAA models, for machines with a GPU (it also runs on CPU, slowly).

It trains the same model as the tfjs trainer (train/train.ts): the layers are built from the
architecture JSON that train/gpu/arch.ts writes from src/arch.ts, with the same weight names, the
same DAA head (factorised: s_y Conv(N) + t_y Conv(1) - Conv(E) + b, decoder BatchNorm over batch,
templates and positions), the same loss (smooth-L1 on the age plus --template-loss times smooth-L1
on every template's estimate), Adam with L2 weight decay added to the gradients, a cosine schedule,
and the same geometric augmentation (flip, scale, rotation, translation about the centre, edge
pixels repeated). Beyond the tfjs trainer: colour, white-balance, greyscale and blur augmentation
(--colour), and optional age-band balancing (--balance).

Data: a pack from train/gpu/pack.ts + pack.py (the train split at the input size, and the tfjs
trainer's validation indices). Layouts: tensors are NCHW here; the export writes tfjs's layout
(conv [k,k,cin,cout], dense [in,out]) into <out>/weights.json + weights.bin, which
train/gpu/import.ts turns into a run folder that train/ship.ts and train/eval.ts read.

Checkpoints (<out>/checkpoint.pt) every epoch; --resume continues a run.

Usage: python3 train/gpu/train_daa.py --arch .gpu/arch/resnet18-w16-96.json \
         --data .gpu/utk-train-96.json --out .gpu/runs/r18w16 --epochs 60 [--batch 128] [--lr 2e-3]
"""
import argparse, io, json, math, os, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-5
BN_MOMENTUM = 0.1
CODE_BITS = 8


def binary_codes(n):
    z = np.zeros((n, CODE_BITS), np.float32)
    for y in range(n):
        bits = [((y + 1) >> (CODE_BITS - 1 - b)) & 1 for b in range(CODE_BITS)]
        ones = sum(bits)
        for b in range(CODE_BITS):
            z[y, b] = bits[b] / math.sqrt(ones) if ones else 0.0
    return torch.from_numpy(z)


def hswish(x):
    return x * F.relu6(x + 3) / 6


def act(x, a):
    return F.relu(x) if a == 'relu' else hswish(x) if a == 'hswish' else x


class DaaNet(nn.Module):
    """Encoder from the arch JSON's op list, binary code mapping, factorised DAA head."""

    def __init__(self, arch, seed=1):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.cfg = arch['config']
        self.ops = arch['ops']
        self.out_buf = arch['out']
        self.p = nn.ParameterDict()  # tfjs names with '.' -> '__'
        self.bn = nn.ModuleDict()
        self.bn_names = []

        def param(name, t):
            self.p[name.replace('.', '__')] = nn.Parameter(t)

        def conv_init(name, k, cin, cout, bias, bn):
            # Kaiming normal, fan_out mode, as the tfjs reference and the authors initialise
            param(f'{name}.w', torch.randn(cout, cin, k, k, generator=g) * math.sqrt(2 / (k * k * cout)))
            if bias:
                param(f'{name}.b', torch.zeros(cout))
            if bn:
                self.bn[name.replace('.', '__')] = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)

        def fc_init(name, cin, cout, std):
            param(f'{name}.w', torch.randn(cout, cin, generator=g) * std)  # torch layout [out, in]
            param(f'{name}.b', torch.zeros(cout))

        for op in self.ops:
            if op['kind'] == 'conv':
                conv_init(op['name'], op['k'], op['cin'], op['cout'], op['bias'], op['bn'])
            elif op['kind'] == 'se':
                fc_init(f"{op['name']}.fc1", op['c'], op['mid'], math.sqrt(2 / op['mid']))
                fc_init(f"{op['name']}.fc2", op['mid'], op['c'], math.sqrt(2 / op['c']))
        C = arch['shapes'][self.out_buf][2]
        self.C = C
        Fd = self.cfg['featDim']
        if self.cfg['daa'] != 'binary':
            raise SystemExit('train_daa.py trains daa=binary models')
        fc_init('map.fc1', CODE_BITS, 16, math.sqrt(2 / 16))
        fc_init('map.fc2', 16, 32, math.sqrt(2 / 32))
        fc_init('map.fc3', 32, 2, 0.01)
        param('dec.conv.w', torch.randn(Fd, C, 3, 3, generator=g) * math.sqrt(2 / (9 * Fd)))
        param('dec.conv.b', torch.zeros(Fd))
        # the decoder's BN normalises [B, T, h*w, F] over B, T and h*w: BatchNorm1d over (B*T, F, h*w)
        self.dec_bn = nn.BatchNorm1d(Fd, eps=BN_EPS, momentum=BN_MOMENTUM)
        fc_init('dec.fc', Fd, 1, 0.01)
        self.register_buffer('codes', binary_codes(self.cfg['numTemplates']))
        self.register_buffer('ages', torch.arange(self.cfg['numTemplates'], dtype=torch.float32))

    def w(self, name):
        return self.p[name.replace('.', '__')]

    def dense(self, x, name):
        return F.linear(x, self.w(f'{name}.w'), self.w(f'{name}.b'))

    def encode(self, x):
        bufs = {'x': x}
        for op in self.ops:
            if op['kind'] == 'conv':
                y = F.conv2d(bufs[op['src']], self.w(f"{op['name']}.w"),
                             self.w(f"{op['name']}.b") if op['bias'] else None, op['stride'], op['pad'])
                if op['bn']:
                    y = self.bn[op['name'].replace('.', '__')](y)
                if op.get('add'):
                    y = y + bufs[op['add']]
                bufs[op['dst']] = act(y, op['act'])
            elif op['kind'] == 'avgpool2':
                bufs[op['dst']] = F.avg_pool2d(bufs[op['src']], 2, 2)
            else:
                xin = bufs[op['buf']]
                h = hswish(self.dense(xin.mean((2, 3)), f"{op['name']}.fc1"))
                sc = torch.sigmoid(self.dense(h, f"{op['name']}.fc2"))
                bufs[op['buf']] = xin * sc[:, :, None, None]
        return bufs[self.out_buf]

    def styles(self):
        h = F.relu(self.dense(self.codes, 'map.fc1'))
        h = F.relu(self.dense(h, 'map.fc2'))
        ts = self.dense(h, 'map.fc3')
        return ts[:, 0], ts[:, 1]

    def forward(self, x):
        """x [B,3,S,S] in [0,1] -> (age [B], perTemplate [B,T])"""
        E = self.encode(x)
        B, C, h, w = E.shape
        n = h * w
        mu = E.mean((2, 3), keepdim=True)
        var = ((E - mu) ** 2).sum((2, 3), keepdim=True) / (n - 1) if n > 1 else torch.zeros_like(mu)
        sigma = torch.sqrt(var + self.cfg['statsEps'])
        N = (E - mu) / sigma
        t, s = self.styles()
        T = t.shape[0]
        Wd = self.w('dec.conv.w')
        A = F.conv2d(N, Wd, None, 1, 1).reshape(B, 1, -1, n)
        Cm = F.conv2d(E, Wd, None, 1, 1).reshape(B, 1, -1, n)
        Bc = F.conv2d(torch.ones(1, C, h, w, device=x.device), Wd, None, 1, 1).reshape(1, 1, -1, n)
        pre = s.view(1, T, 1, 1) * A + t.view(1, T, 1, 1) * Bc + self.w('dec.conv.b').view(1, 1, -1, 1) - Cm
        Fd = pre.shape[2]
        r = F.relu(self.dec_bn(pre.reshape(B * T, Fd, n)))
        D = self.dense(r.mean(2), 'dec.fc').reshape(B, T)
        per = self.ages.view(1, T) - D
        return per.mean(1), per

    def export(self):
        """{tfjs name: (shape, float32 array)} in the tfjs reference's layouts (train/model.ts)."""
        out = {}

        def put(name, t):
            a = t.detach().float().cpu().numpy()
            out[name] = a

        for k, v in self.p.items():
            name = k.replace('__', '.')
            if v.dim() == 4:  # conv [cout, cin, k, k] -> [k, k, cin, cout]
                put(name, v.permute(2, 3, 1, 0))
            elif v.dim() == 2:  # dense [out, in] -> [in, out]
                put(name, v.t())
            else:
                put(name, v)
        bns = [(k.replace('__', '.'), m) for k, m in self.bn.items()] + [('dec.conv', self.dec_bn)]
        for name, m in bns:
            put(f'{name}.bn.gamma', m.weight)
            put(f'{name}.bn.beta', m.bias)
            put(f'{name}.bn.mean', m.running_mean)
            put(f'{name}.bn.var', m.running_var)
        return out


# ------------------------------------------------------------------------------------------
# data

def load_pack(meta_path, device):
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    meta = json.load(open(meta_path))
    S, n, cols = meta['size'], meta['count'], meta['cols']
    base = os.path.dirname(meta_path)
    tiles = []
    for name in meta['mosaics']:
        m = np.asarray(Image.open(os.path.join(base, name)).convert('RGB'))
        rows = m.shape[0] // S
        tiles.append(m.reshape(rows, S, cols, S, 3).transpose(0, 2, 1, 3, 4).reshape(rows * cols, S, S, 3))
    px = np.concatenate(tiles)[:n]
    x = torch.from_numpy(np.ascontiguousarray(px)).to(device).permute(0, 3, 1, 2).contiguous()  # u8 [N,3,S,S]
    ages = torch.tensor(meta['ages'], dtype=torch.float32, device=device)
    # pack.ts --teacher: the training targets blend label and teacher age (validation reads `ages`)
    targets = torch.tensor(meta.get('targets', meta['ages']), dtype=torch.float32, device=device)
    val = torch.tensor(meta['val'], dtype=torch.long, device=device)
    is_val = torch.zeros(n, dtype=torch.bool, device=device)
    is_val[val] = True
    train = torch.nonzero(~is_val).flatten()
    return x, ages, targets, train, val, meta


def geometric(x, gen, scale=(0.9, 1.1), rot_deg=10.0, translate=0.06):
    """The tfjs trainer's augment(): flip, scale, rotation and translation about the centre, one
    inverse map from output pixel centres to source coordinates, bilinear, coordinates clamped."""
    B, _, S, _ = x.shape
    dev = x.device
    r = torch.rand(B, 5, generator=gen, device=dev)
    fl = torch.where(r[:, 0] < 0.5, -1.0, 1.0)
    sc = scale[0] + (scale[1] - scale[0]) * r[:, 1]
    ang = math.radians(rot_deg) * (2 * r[:, 2] - 1)
    tx = translate * S * (2 * r[:, 3] - 1)
    ty = translate * S * (2 * r[:, 4] - 1)
    c = S / 2
    cos = (torch.cos(ang) / sc).view(B, 1, 1)
    sin = (torch.sin(ang) / sc).view(B, 1, 1)
    ii = torch.arange(S, device=dev, dtype=torch.float32) + 0.5 - c
    dx = ii.view(1, 1, S) - tx.view(B, 1, 1)
    dy = ii.view(1, S, 1) - ty.view(B, 1, 1)
    u = fl.view(B, 1, 1) * (cos * dx + sin * dy) + c - 0.5
    v = -sin * dx + cos * dy + c - 0.5
    u = u.clamp(0, S - 1)
    v = v.clamp(0, S - 1)
    grid = torch.stack([u / (S - 1) * 2 - 1, v / (S - 1) * 2 - 1], -1)
    return F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=True)


def colour(x, gen):
    """Brightness, contrast, saturation, per-channel gain (white balance), greyscale (p 0.1) and a
    Gaussian blur (p 0.2, sigma 0.3-1.2 px): what cameras and the whole-photo path add."""
    B = x.shape[0]
    dev = x.device
    r = torch.rand(B, 9, generator=gen, device=dev)
    bright = (0.75 + 0.5 * r[:, 0]).view(B, 1, 1, 1)
    contrast = (0.7 + 0.6 * r[:, 1]).view(B, 1, 1, 1)
    sat = (0.6 + 0.8 * r[:, 2]).view(B, 1, 1, 1)
    gain = (0.9 + 0.2 * r[:, 3:6]).view(B, 3, 1, 1)
    grey_w = torch.tensor([0.299, 0.587, 0.114], device=dev).view(1, 3, 1, 1)
    x = x * bright * gain
    m = x.mean((1, 2, 3), keepdim=True)
    x = (x - m) * contrast + m
    g = (x * grey_w).sum(1, keepdim=True)
    x = (x - g) * sat + g
    x = torch.where((r[:, 6] < 0.1).view(B, 1, 1, 1), g.expand_as(x), x)
    # blur: a 5-tap separable Gaussian with a per-image sigma
    sig = (0.3 + 0.9 * r[:, 7]).view(B, 1)
    k = torch.arange(-2, 3, device=dev, dtype=torch.float32).view(1, 5)
    wk = torch.exp(-0.5 * (k / sig) ** 2)
    wk = wk / wk.sum(1, keepdim=True)  # [B,5]
    S = x.shape[-1]
    xp = F.pad(x, (2, 2, 2, 2), mode='replicate').reshape(1, B * 3, S + 4, S + 4)
    kw = wk.repeat_interleave(3, 0)
    xb = F.conv2d(xp, kw.view(B * 3, 1, 1, 5), groups=B * 3)
    xb = F.conv2d(xb, kw.view(B * 3, 1, 5, 1), groups=B * 3).reshape(B, 3, S, S)
    x = torch.where((r[:, 8] < 0.2).view(B, 1, 1, 1), xb, x)
    return x.clamp(0, 1)


def band_weights(ages, train_idx):
    """Per-image loss weights ~ count(band)^-1/2 over 10-year bands, mean 1 over the train part."""
    bands = (ages / 10).floor().clamp(max=9).long()
    cnt = torch.bincount(bands[train_idx], minlength=10).float().clamp(min=1)
    w = cnt[bands] ** -0.5
    return w / w[train_idx].mean()


# ------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--epochs', type=int, default=60)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--wd', type=float, default=5e-4)
    ap.add_argument('--template-loss', type=float, default=1.0)
    ap.add_argument('--colour', type=int, default=1)
    ap.add_argument('--balance', type=int, default=0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--time-limit', type=float, default=0, help='seconds: stop (checkpointed) before this')
    ap.add_argument('--time-budget', type=float, default=0,
                    help='seconds: after the first epoch, lower --epochs so that the whole cosine schedule '
                         'fits in this time from the start (the count used is logged)')
    ap.add_argument('--limit', type=int, default=0, help='use only the first N train images (smoke tests)')
    a = ap.parse_args()
    t_start = time.time()
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False  # f32 throughout, as the runtime computes
    torch.backends.cudnn.allow_tf32 = False
    os.makedirs(a.out, exist_ok=True)
    arch = json.load(open(a.arch))
    x_all, ages_all, targets_all, train_idx, val_idx, meta = load_pack(a.data, dev)
    if a.limit:
        train_idx = train_idx[:a.limit]
        val_idx = val_idx[:max(1, a.limit // 8)]
    S = arch['config']['inputSize']
    if meta['size'] != S:
        raise SystemExit(f"pack is {meta['size']} px, model input {S}")
    model = DaaNet(arch, a.seed).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=a.wd)
    steps_per_epoch = len(train_idx) // a.batch
    total_steps = steps_per_epoch * a.epochs
    weights = band_weights(ages_all, train_idx) if a.balance else None
    state = {'epoch': 0, 'step': 0, 'best_val': None, 'best_epoch': None, 'history': [], 'epochs': a.epochs}
    ck = os.path.join(a.out, 'checkpoint.pt')
    if a.resume and os.path.exists(ck):
        saved = torch.load(ck, map_location=dev)
        model.load_state_dict(saved['model'])
        opt.load_state_dict(saved['opt'])
        state = saved['state']
        a.epochs = state['epochs']
        total_steps = steps_per_epoch * a.epochs
        print(f"resumed at epoch {state['epoch']}", flush=True)
    else:
        mean_age = ages_all[train_idx].mean().item()
        with torch.no_grad():
            model.w('dec.fc.b').fill_((arch['config']['numTemplates'] - 1) / 2 - mean_age)
    json.dump({'args': vars(a), 'config': arch['config'], 'device': str(dev),
               'gpu': torch.cuda.get_device_name(0) if dev.type == 'cuda' else None,
               'torch': torch.__version__}, open(os.path.join(a.out, 'run.json'), 'w'), indent=1)
    log = open(os.path.join(a.out, 'log.jsonl'), 'a')

    def smooth_l1(p, y, w=None):
        l = F.smooth_l1_loss(p, y, reduction='none', beta=1.0)
        if w is not None:
            l = l * w.view(-1, *([1] * (l.dim() - 1)))
        return l.mean()

    def validate():
        model.eval()
        err = 0.0
        with torch.no_grad():
            for s in range(0, len(val_idx), 512):
                idx = val_idx[s:s + 512]
                age, _ = model(x_all[idx].float() / 255)
                err += (age - ages_all[idx]).abs().sum().item()
        model.train()
        return err / len(val_idx)

    gen = torch.Generator(device=dev)
    while state['epoch'] < a.epochs:
        ep = state['epoch']
        gen.manual_seed(a.seed * 1000 + ep)
        order = train_idx[torch.randperm(len(train_idx), generator=gen, device=dev)]
        t0 = time.time()
        loss_sum = mae_sum = 0.0
        for i in range(steps_per_epoch):
            idx = order[i * a.batch:(i + 1) * a.batch]
            xb = x_all[idx].float() / 255
            xb = geometric(xb, gen)
            if a.colour:
                xb = colour(xb, gen)
            yb = targets_all[idx]
            lr = 0.5 * a.lr * (1 + math.cos(math.pi * state['step'] / total_steps))
            for pg in opt.param_groups:
                pg['lr'] = lr
            age, per = model(xb)
            wb = weights[idx] if weights is not None else None
            loss = smooth_l1(age, yb, wb)
            if a.template_loss > 0:
                loss = loss + a.template_loss * smooth_l1(per, yb.view(-1, 1).expand_as(per), wb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            state['step'] += 1
            loss_sum += loss.item()
            mae_sum += (age.detach() - yb).abs().mean().item()
        val = validate()
        rec = {'epoch': ep + 1, 'trainLoss': loss_sum / steps_per_epoch, 'trainMae': mae_sum / steps_per_epoch,
               'valMae': val, 'seconds': time.time() - t0, 'lr': lr}
        state['history'].append(rec)
        log.write(json.dumps(rec) + '\n')
        log.flush()
        print(f"{a.out} epoch {ep + 1}/{a.epochs} loss {rec['trainLoss']:.3f} train MAE {rec['trainMae']:.3f} "
              f"val MAE {val:.3f} ({rec['seconds']:.1f} s)", flush=True)
        state['epoch'] += 1
        if a.time_budget and state['epoch'] == 1:
            fit = int((a.time_budget - (time.time() - t_start)) / (rec['seconds'] * 1.1)) + 1
            if fit < a.epochs:
                a.epochs = max(2, fit)
                total_steps = steps_per_epoch * a.epochs
                print(f'{a.out}: time budget: {a.epochs} epochs', flush=True)
            state['epochs'] = a.epochs
        if state['best_val'] is None or val < state['best_val']:
            state['best_val'] = val
            state['best_epoch'] = ep + 1
            save_export(model, a.out, 'best', {'epoch': ep + 1, 'valMae': val})
        save_export(model, a.out, 'last', {'epoch': ep + 1, 'valMae': val})
        torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'state': state}, ck + '.tmp')
        os.replace(ck + '.tmp', ck)
        if a.time_limit and time.time() - t_start + rec['seconds'] * 1.2 > a.time_limit:
            print(f'{a.out}: time limit: stopping after epoch {ep + 1}', flush=True)
            break
    json.dump(state, open(os.path.join(a.out, 'state.json'), 'w'), indent=1)


def probe_images(S, n=2):
    """Deterministic probe inputs for parity checks (train/gpu/import.ts builds the same):
    x[b, i, j, c] = ((b * 7 + i * 3 + j * 5 + c * 11) % 256) / 255, NHWC."""
    b, i, j, c = np.meshgrid(np.arange(n), np.arange(S), np.arange(S), np.arange(3), indexing='ij')
    return ((b * 7 + i * 3 + j * 5 + c * 11) % 256).astype(np.float32) / 255


def save_export(model, out, tag, info):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        dev = next(model.parameters()).device
        x = torch.from_numpy(probe_images(model.cfg['inputSize'])).to(dev).permute(0, 3, 1, 2).contiguous()
        age, per = model(x)
    model.train(was_training)
    info = {**info, 'probe': {'age': age.cpu().tolist(), 'perTemplate': per.cpu().tolist()}}
    tensors = model.export()
    names = sorted(tensors)
    manifest = {'config': model.cfg, **info, 'vars': []}
    parts = []
    for n in names:
        a = np.ascontiguousarray(tensors[n], dtype='<f4')
        manifest['vars'].append({'name': n, 'shape': list(a.shape), 'length': int(a.size)})
        parts.append(a.tobytes())
    with open(os.path.join(out, f'{tag}.bin.tmp'), 'wb') as f:
        f.write(b''.join(parts))
    json.dump(manifest, open(os.path.join(out, f'{tag}.json.tmp'), 'w'))
    os.replace(os.path.join(out, f'{tag}.bin.tmp'), os.path.join(out, f'{tag}.bin'))
    os.replace(os.path.join(out, f'{tag}.json.tmp'), os.path.join(out, f'{tag}.json'))


if __name__ == '__main__':
    main()
