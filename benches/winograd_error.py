"""Float32 error of Winograd F(2x2,3x3) and F(4x4,3x3) against a float64 direct
3x3 convolution, simulated with numpy on the CNN workload's channel counts
(benches/README.md, "Side by side after Winograd convolutions"): why tsc
runs F(2x2,3x3) only. Run: python benches/winograd_error.py (numpy).
"""
import numpy as np
rng=np.random.default_rng(0)
f32=np.float32
BT=np.array([[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]],dtype=np.float64)
G=np.array([[1/4,0,0],[-1/6,-1/6,-1/6],[-1/6,1/6,-1/6],[1/24,1/12,1/6],[1/24,-1/12,1/6],[0,0,1]])
AT=np.array([[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]],dtype=np.float64)
BT2=np.array([[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]],dtype=np.float64)
G2=np.array([[1,0,0],[.5,.5,.5],[.5,-.5,.5],[0,0,1]])
AT2=np.array([[1,1,1,0],[0,1,-1,-1]],dtype=np.float64)
def run(c, H, BT, G, AT, m):
    a=m+2
    x=rng.uniform(-1,1,(c,H+2,H+2)).astype(f32); x[:,0,:]=0;x[:,-1,:]=0;x[:,:,0]=0;x[:,:,-1]=0
    w=rng.uniform(-1,1,(c,c,3,3)).astype(f32)
    # reference
    ref=np.zeros((c,H,H))
    x64=x.astype(np.float64); w64=w.astype(np.float64)
    for ky in range(3):
        for kx in range(3):
            ref+=np.einsum('oi,ihw->ohw',w64[:,:,ky,kx],x64[:,ky:ky+H,kx:kx+H])
    U=np.einsum('ak,oikl,bl->abio',G,w64,G).astype(f32)  # [a,b,ci,co]
    out=np.zeros((c,H,H),dtype=f32)
    BTf=BT.astype(f32); ATf=AT.astype(f32)
    for ty in range(H//m):
        for tx in range(H//m):
            d=x[:,ty*m:ty*m+a,tx*m:tx*m+a]
            V=np.einsum('ak,ikl,bl->abi',BTf,d,BTf).astype(f32)  # f32 accumulate approx
            M=np.einsum('abio,abi->abo',U,V).astype(f32)
            Y=np.einsum('ka,abo,lb->okl',ATf,M,ATf).astype(f32)
            out[:,ty*m:ty*m+m,tx*m:tx*m+m]=Y
    err=np.abs(out-ref).max()
    bound=4e-6*np.sqrt(9*c)+1e-6
    print(f"m={m} c={c} H={H}: err {err:.2e} bound {bound:.2e} max|y| {np.abs(ref).max():.1f}")
for c,H in [(32,16),(64,16),(128,8)]:
    run(c,H,BT2,G2,AT2,2)
    run(c,H,BT,G,AT,4)
