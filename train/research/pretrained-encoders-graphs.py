# Reads a tfjs graph model (JSON + .bin) and prints its op counts, parameters, bytes and multiply-adds; see pretrained-encoders.md.
import json,sys,collections,base64,os,math
import numpy as np
def b64(s):
    try: return base64.b64decode(s).decode()
    except Exception: return s
def prod(a):
    p=1
    for x in a: p*=x
    return p
def load(path):
    d=json.load(open(path))
    base=os.path.dirname(path)
    vals={}; wshape={}; wbytes=0; nparam=0; nf=0
    for g in d['weightsManifest']:
        buf=b''.join(open(os.path.join(base,p),'rb').read() for p in g['paths'])
        off=0
        for w in g['weights']:
            n=prod(w['shape']); q=w.get('quantization')
            if q:
                qd=q['dtype']; bs={'uint8':1,'uint16':2,'float16':2}[qd]
                raw=buf[off:off+n*bs]; off+=n*bs
                if qd=='float16': arr=np.frombuffer(raw,np.float16).astype(np.float32)
                else:
                    a=np.frombuffer(raw,np.uint8 if qd=='uint8' else np.uint16).astype(np.float32)
                    arr=a*q['scale']+q['min']
            else:
                bs=4; raw=buf[off:off+n*4]; off+=n*4
                arr=np.frombuffer(raw,np.int32 if w['dtype']=='int32' else np.float32)
            wbytes+=len(raw)
            vals[w['name']]=arr.reshape(w['shape']) if n else arr
            wshape[w['name']]=w['shape']
            if w['dtype']=='float32': nparam+=n
    return d,vals,wshape,wbytes,nparam

def analyze(path, inshape=None):
    d,vals,wshape,wbytes,nparam=load(path)
    nodes=d['modelTopology']['node']
    byname={n['name']:n for n in nodes}
    shapes={}; macs=collections.Counter(); log=[]; unknown=collections.Counter()
    def ins(n): return [i.split(':')[0] for i in n.get('input',[]) if not i.startswith('^')]
    def attr(n,k,default=None):
        a=n.get('attr',{}).get(k)
        if a is None: return default
        if 's' in a: return b64(a['s'])
        if 'list' in a:
            l=a['list']
            if 'i' in l: return [int(x) for x in l['i']]
            if 's' in l: return [b64(x) for x in l['s']]
            return []
        if 'i' in a: return int(a['i'])
        if 'f' in a: return float(a['f'])
        if 'b' in a: return a['b']
        return a
    def cshape(n):
        if n['name'] in wshape: return list(wshape[n['name']])
        t=n.get('attr',{}).get('value',{}).get('tensor',{})
        return [int(x['size']) for x in t.get('tensorShape',{}).get('dim',[])]
    # topo order
    order=[];seen=set()
    sys.setrecursionlimit(100000)
    def visit(nm):
        if nm in seen or nm not in byname: return
        seen.add(nm)
        for i in ins(byname[nm]): visit(i)
        order.append(nm)
    for n in nodes: visit(n['name'])
    inputs=[]
    def conv_out(h,k,s,pad,dil=1,explicit=None):
        ke=(k-1)*dil+1
        if pad=='SAME': return math.ceil(h/s)
        if pad=='VALID': return (h-ke)//s+1
        return (h+explicit-ke)//s+1
    def bcast(a,b):
        a=list(a);b=list(b)
        n=max(len(a),len(b)); a=[1]*(n-len(a))+a; b=[1]*(n-len(b))+b
        return [max(x,y) if min(x,y)!=-1 else -1 for x,y in zip(a,b)]
    convlog=[]
    for nm in order:
        n=byname[nm]; op=n['op']; I=ins(n)
        S=[shapes.get(i) for i in I]
        try:
            if op=='Const': shapes[nm]=cshape(n)
            elif op=='Placeholder':
                sh=[int(x['size']) for x in attr(n,'shape',{}).get('shape',{}).get('dim',[])] if isinstance(attr(n,'shape'),dict) else None
                if inshape: sh=inshape
                if sh and sh[0]==-1: sh=[1]+sh[1:]
                shapes[nm]=sh; inputs.append((nm,sh))
            elif op in ('Conv2D','_FusedConv2D','DepthwiseConv2dNative','FusedDepthwiseConv2dNative'):
                x=S[0]; w=S[1]; st=attr(n,'strides'); pad=attr(n,'padding'); dil=(attr(n,'dilations') or [1,1,1,1])[1]
                ex=attr(n,'explicit_paddings') or []
                eh=(ex[2]+ex[3]) if len(ex)>=4 else 0; ew=(ex[4]+ex[5]) if len(ex)>=6 else 0
                kh,kw=w[0],w[1]
                oh=conv_out(x[1],kh,st[1],pad,dil,eh); ow=conv_out(x[2],kw,st[2],pad,dil,ew)
                dw='Depthwise' in op
                co=w[2]*w[3] if dw else w[3]
                shapes[nm]=[x[0],oh,ow,co]
                m=oh*ow*kh*kw*(w[2]*w[3] if dw else w[2]*w[3])
                macs['dwconv' if dw else 'conv']+=m
                fo=attr(n,'fused_ops') or []
                convlog.append((op.replace('Native',''),f'{kh}x{kw}/s{st[1]}{"/d"+str(dil) if dil>1 else ""}',pad,f'{x[1]}x{x[2]}x{x[3]}->{oh}x{ow}x{co}',','.join(fo),m))
            elif op in ('MatMul','_FusedMatMul'):
                a=S[0];b=S[1]
                ta=attr(n,'transpose_a',False); tb=attr(n,'transpose_b',False)
                M=a[-1] if ta else a[-2]; K=a[-2] if ta else a[-1]; N=b[-2] if tb else b[-1]
                shapes[nm]=[M,N]; macs['matmul']+=M*K*N
                convlog.append((op,'','', f'{M}x{K}->{N}',','.join(attr(n,'fused_ops') or []),M*K*N))
            elif op in ('MaxPool','AvgPool'):
                x=S[0]; k=attr(n,'ksize'); st=attr(n,'strides'); pad=attr(n,'padding')
                shapes[nm]=[x[0],conv_out(x[1],k[1],st[1],pad),conv_out(x[2],k[2],st[2],pad),x[3]]
                convlog.append((op,f'{k[1]}x{k[2]}/s{st[1]}',pad,f'{x[1]}x{x[2]}x{x[3]}->{shapes[nm][1]}x{shapes[nm][2]}','',0))
            elif op in ('Pad','PadV2','MirrorPad'):
                p=vals[I[1]] if I[1] in vals else None
                x=S[0]
                shapes[nm]=[x[i]+int(p[i][0])+int(p[i][1]) for i in range(len(x))]
                convlog.append((op,'','',f'{x}->{shapes[nm]} pads {p.tolist()}','',0))
            elif op in ('Mean','Sum','Max','Min','Prod'):
                ax=vals.get(I[1]); x=S[0]; kd=attr(n,'keep_dims',False)
                ax=[int(a)%len(x) for a in np.atleast_1d(ax)]
                shapes[nm]=[1 if i in ax else s for i,s in enumerate(x)] if kd else [s for i,s in enumerate(x) if i not in ax]
                convlog.append((op,'','',f'{x}->{shapes[nm]} axes {ax}','',0))
            elif op=='Reshape':
                t=[int(v) for v in vals[I[1]]] if I[1] in vals else None
                if t is None: t=[-1]; 
                tot=prod(S[0]); 
                if -1 in t:
                    k=t.index(-1); r=prod([v for v in t if v!=-1]); t[k]=tot//r
                shapes[nm]=t
            elif op=='Squeeze':
                ax=attr(n,'squeeze_dims') or []
                shapes[nm]=[s for i,s in enumerate(S[0]) if (i not in ax if ax else s!=1)]
            elif op=='ExpandDims':
                ax=int(np.atleast_1d(vals[I[1]])[0]); x=list(S[0]); ax=ax%(len(x)+1); shapes[nm]=x[:ax]+[1]+x[ax:]
            elif op in ('Add','AddV2','Sub','Mul','RealDiv','Maximum','Minimum','Prelu','SquaredDifference'):
                shapes[nm]=bcast(S[0],S[1]) if S[1] is not None else S[0]
            elif op=='StridedSlice':
                shapes[nm]=None; unknown[op]+=1
            else:
                shapes[nm]=S[0] if S else None
                if op not in ('Relu','Relu6','Sigmoid','Tanh','Softmax','Identity','Abs','Square','Rsqrt','Neg','Elu','Exp'): unknown[op]+=1
        except Exception as e:
            shapes[nm]=None; unknown[op+' ERR '+str(e)[:40]]+=1
    opc=collections.Counter(n['op'] for n in nodes if n['op']!='Const')
    return dict(meta={k:v for k,v in d.items() if k not in('modelTopology','weightsManifest')},inputs=inputs,ops=opc,nparam=nparam,wbytes=wbytes,macs=macs,log=convlog,unknown=unknown,byname=byname,vals=vals,shapes=shapes,order=order)

if __name__=='__main__':
    path=sys.argv[1]
    ins_=json.loads(sys.argv[2]) if len(sys.argv)>2 else None
    r=analyze(path,ins_)
    print('##',os.path.basename(path)); print('meta',json.dumps(r['meta'])[:600])
    print('inputs',r['inputs'])
    print('ops',dict(r['ops']))
    print('params',r['nparam'],'weight bytes',r['wbytes'],'MACs',dict(r['macs']),'total %.1f M'%(sum(r['macs'].values())/1e6))
    print('unknown',dict(r['unknown']))
    if '-v' in sys.argv:
        for l in r['log']: print('  ',l)
