# Chooses the probe's chips: N seeded train chips and every test chip (list_train.txt, list_test.txt in the cwd).
import csv, os, numpy as np, sys
N=int(sys.argv[1]) if len(sys.argv)>1 else 4000
rows=list(csv.DictReader(open(os.path.join(os.environ.get('UTKFACE', '../shared/data/utkface'), 'labels.csv'))))
tr=[r for r in rows if r['split']=='train']; te=[r for r in rows if r['split']=='test']
rng=np.random.default_rng(0); idx=np.sort(rng.choice(len(tr),N,replace=False))
with open('list_train.txt','w') as f:
    for i in idx: f.write(f"{tr[i]['file']},{tr[i]['age']}\n")
with open('list_test.txt','w') as f:
    for r in te: f.write(f"{r['file']},{r['age']}\n")
print(len(idx),len(te))
