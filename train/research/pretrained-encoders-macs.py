# Multiply-adds and parameters of ResNet18 (src/arch.ts layout) and of face-api's nets rebuilt from their source; see pretrained-encoders.md.
import math
def conv(h,k,s,cin,cout,pad='same',dw=False):
    if pad=='same': oh=math.ceil(h/s)
    elif pad=='valid': oh=(h-k)//s+1
    else: oh=(h+2*pad-k)//s+1
    m=oh*oh*k*k*(cin if not dw else 1)*cout
    p=k*k*(cin if not dw else 1)*cout
    return oh,m,p
# ResNet18 w16 96
def resnet(w,S):
    tot=0;par=0;h=S
    h,m,p=conv(h,3,2,3,w,1); tot+=m;par+=p+w
    cin=w
    for li,c in enumerate([w,2*w,4*w,8*w]):
        for bi in range(2):
            s=2 if li>0 and bi==0 else 1
            h2,m,p=conv(h,3,s,cin,c,1); tot+=m;par+=p+c
            if s!=1 or cin!=c:
                _,m,p=conv(h,1,s,cin,c,0); tot+=m;par+=p+c
            h=h2
            _,m,p=conv(h,3,1,c,c,1); tot+=m;par+=p+c
            cin=c
    return tot,par,h
for S in (96,112,128):
    t,p,h=resnet(16,S); print(f'ResNet18 w16 {S}px: {t/1e6:.1f} MMAC, {p} params (BN folded), E {h}x{h}x128')
def sep(h,s,cin,cout):
    oh,m1,p1=conv(h,3,s,cin,cin,dw=True); _,m2,p2=conv(oh,1,1,cin,cout); return oh,m1,m2,p1+p2+cout
def ffe(S,blocks,chs,nconv):
    h=S; conv_m=0; dw_m=0; cin=3
    for bi,c in enumerate(chs):
        if bi==0:
            h,m,_=conv(h,3,2,3,c); conv_m+=m
        else:
            h,m1,m2,_=sep(h,2,cin,c); dw_m+=m1; conv_m+=m2
        for _ in range(nconv-1):
            h,m1,m2,_=sep(h,1,c,c); dw_m+=m1; conv_m+=m2
        cin=c
    return h,conv_m,dw_m
h,c,d=ffe(112,4,[32,64,128,256],4); print(f'face-api FaceFeatureExtractor 112: out {h}x{h}x256 conv {c/1e6:.1f} dw {d/1e6:.2f} total {(c+d)/1e6:.1f} MMAC (+fc 256x136 landmark / 256x7 expression)')
h,c,d=ffe(112,3,[32,64,128],3); print(f'face-api TinyFaceFeatureExtractor 112: out {h}x{h}x128 conv {c/1e6:.1f} dw {d/1e6:.2f} total {(c+d)/1e6:.1f} MMAC')
# at 96 px
h,c,d=ffe(96,4,[32,64,128,256],4); print(f'  FFE at 96: out {h} total {(c+d)/1e6:.1f}')
h,c,d=ffe(96,3,[32,64,128],3); print(f'  Tiny FFE at 96: out {h} total {(c+d)/1e6:.1f}')
# TinyXception
def xcep(S):
    cm=0;dm=0
    h,m,_=conv(S,3,2,3,32); cm+=m
    cin=32
    def red(h,cin,c):
        nonlocal cm,dm
        _,a,b,_=sep(h,1,cin,c); dm+=a;cm+=b
        _,a,b,_=sep(h,1,c,c); dm+=a;cm+=b
        oh=math.ceil(h/2)
        _,m,_=conv(h,1,2,cin,c); cm+=m
        return oh
    h=red(h,32,64); h=red(h,64,128)
    for _ in range(2):
        for _ in range(3):
            _,a,b,_=sep(h,1,128,128); dm+=a;cm+=b
    h=red(h,128,256)
    _,a,b,_=sep(h,1,256,512); dm+=a;cm+=b
    return h,cm,dm
h,c,d=xcep(112); print(f'face-api TinyXception(2) 112: out {h}x{h}x512 conv {c/1e6:.1f} dw {d/1e6:.2f} total {(c+d)/1e6:.1f} MMAC')
h,c,d=xcep(96); print(f'  at 96: out {h} total {(c+d)/1e6:.1f}')
# face recognition resnet
def frn(S):
    tot=0
    h,m,_=conv(S,7,2,3,32,'valid'); tot+=m
    h=(h-3)//2+1
    cin=32
    plan=[(32,3,False),(64,1,True),(64,3,False),(128,1,True),(128,2,False),(256,1,True),(256,2,False),(256,1,True)]
    for c,n,down in plan:
        for _ in range(n):
            if down: h2,m,_=conv(h,3,2,cin,c,'valid')
            else: h2,m,_=conv(h,3,1,cin,c)
            tot+=m; h=h2
            _,m,_=conv(h,3,1,c,c); tot+=m; cin=c
    return h,tot
h,t=frn(150); print(f'face-api FaceRecognitionNet 150: out {h}x{h}x256 total {t/1e6:.1f} MMAC')
