import pandas as pd
import streamlit as st

from playground.figures.sequences.bptt import gradient_norms_figure, unrolled_figure
from playground.sequences import bptt
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.share import current_style
from playground.ui.stepper import step_through
from playground.ui.urlstate import PageState, choice, flag, number

ensure_navigation()

state = PageState("rnn", {
    "activation": choice("tanh", bptt.ACTIVATION_NAMES),
    "scale": number(1.0, 0.1, 4.0, step=0.05),
    "length": number(8, bptt.MIN_LENGTH, bptt.MAX_LENGTH),
    "hidden": number(3, bptt.MIN_HIDDEN, bptt.MAX_HIDDEN),
    "seed": number(0, 0, 9999),
    "clip": flag(False),
    "max_norm": number(1.0, 0.1, 10.0, step=0.1),
    "step": number(1, 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("An RNN, step by step")
st.caption("A recurrent network reads a sequence one item at a time and carries a hidden state h from step to "
           "step: h_t = act(W_x·x_t + W_h·h_{t−1} + b), and it outputs y_t = W_y·h_t + c. The same weights are "
           "used at every step. Here the loss looks only at the **last** output, L = ½(y_T − 1)², so every "
           "earlier step learns only through the gradient that travels back to it.")

c1, c2, c3, c4, c5 = st.columns([1.3, 1.6, 1.3, 1, 1])
state.selectbox("activation", "Activation", container=c1, format_func=bptt.activation_label)
state.slider("scale", "Scale of W_h", container=c2,
             help="W_h is this number times a fixed rotation-like (orthogonal) matrix, so every one of its "
                  "singular values, and its largest stretch, equals the scale.")
state.slider("length", "Sequence length T", container=c3)
state.number_input("hidden", "Hidden units", container=c4)
state.number_input("seed", "Seed", container=c5, help="Picks the inputs and the weights.")

done = bptt.walk(hidden=state["hidden"], length=state["length"], activation=state["activation"],
                 scale=state["scale"], seed=state["seed"], max_norm=state["max_norm"] if state["clip"] else None)
rnn, fwd, bwd, ref, clipped, total = done.rnn, done.fwd, done.bwd, done.ref, done.clipped, done.total
T = rnn.length

# ---- Step by step --------------------------------------------------------------------------------
st.subheader("Forward, then backward through time")
st.caption(f"Positions 1 to {T} run the forward pass, one time step each. Positions {T + 1} to {2 * T} send "
           f"the gradient back, from t = {T} down to t = 1 (backpropagation through time).")
position = step_through(state, "step", 2 * T, key="rnn", single="")
phase, t = bptt.where(position, T)
chart(unrolled_figure(rnn, fwd, bwd, position, style=current_style()), key="rnn.fig.unrolled")
st.info(bptt.explain_step(rnn, fwd, bwd, position))
st.dataframe(pd.DataFrame(bptt.step_rows(rnn, fwd, bwd, ref, position)), hide_index=True, width="stretch",
             key="rnn.step_table", column_config={"unit": st.column_config.NumberColumn("unit", width="small")})
if phase == "backward" and t < T:
    box = st.columns([2, 3])[0]
    box.markdown(f"**J_{t + 1} = diag(act′(a_{t + 1}))·W_h** (row i: how h_{t + 1}'s unit i moves with h_{t})")
    box.dataframe(pd.DataFrame(bwd.jacobians[t], columns=[f"h_{t}[{j + 1}]" for j in range(rnn.hidden_size)]),
                  hide_index=True, key="rnn.jacobian")
if phase == "backward":
    st.caption(f"act′(a) for {bptt.activation_label(rnn.activation)} is {bptt.slope_rule(rnn.activation)}. "
               "The column from torch.autograd is the same gradient computed by PyTorch (each h_t kept with "
               "`retain_grad`): they agree to the last digits shown.")

# ---- Vanishing and exploding ----------------------------------------------------------------------
st.subheader("How big is the gradient at each step?")
chart(gradient_norms_figure(bwd.norms, scale=state["scale"], current=t if phase == "backward" else None),
      key="rnn.fig.norms")
st.markdown(bptt.verdict(bwd))
jn = bwd.jacobian_norms
st.markdown(f"Largest stretch of W_h: **{bptt.number(state['scale'])}**. Largest stretch of one step back, "
            f"‖J_t‖ = ‖diag(act′(a_t))·W_h‖: from **{bptt.number(jn.min())}** to **{bptt.number(jn.max())}** "
            f"over the {T} steps.")
st.caption("Each step back multiplies the gradient by one Jacobian J_tᵀ. If these multiply lengths by less "
           "than 1, the product of many of them shrinks towards 0: the gradient **vanishes**, and the first "
           "inputs can hardly change what the network learns. tanh's slope is at most 1 and sigmoid's at most "
           "¼, so with a small W_h every step shrinks it; large weights push tanh into its flat ends, where "
           "the slope is near 0, so it vanishes too. With the linear activation (or ReLU units that stay on) "
           "and a scale above 1, every step stretches it: the gradient **explodes**. Try tanh at scale 0.5, "
           "then linear at 1.5, and a longer sequence.")

# ---- Gradients of the weights, and clipping -------------------------------------------------------
st.subheader("Gradients of the weights: this page and PyTorch")
k1, k2 = st.columns([1, 2])
state.toggle("clip", "Clip the gradient's norm", container=k1,
             help="As torch.nn.utils.clip_grad_norm_: if the gradients' total length is over the limit, all of "
                  "them are scaled down together to that length.")
if state["clip"]:
    state.slider("max_norm", "Largest allowed norm", container=k2)
st.dataframe(pd.DataFrame(bptt.gradient_rows(bwd, ref, clipped)), hide_index=True, width="stretch",
             key="rnn.grads")
gap = done.gap
agreement = (f"Largest difference from torch.autograd (relative to the size of the number): {gap:.1e}, "
             f"{'within' if gap <= 1e-6 else 'NOT within'} 1e-6, over every ∂L/∂h_t and every weight's gradient.")
if gap <= 1e-6:
    st.success(agreement)
else:
    st.error(agreement)
if clipped is not None:
    after = bptt.global_norm(clipped)
    st.markdown(f"Total norm of the gradients: **{bptt.number(total)}** before clipping, **{bptt.number(after)}** "
                f"after ({'scaled down' if after < total - 1e-12 else 'already under the limit, left as it was'}).")
st.caption("Clipping caps the size of one update, so an exploding gradient no longer throws the weights far "
           "away; the direction stays the same. It does **not** bring back a vanished gradient: the curve above "
           "is the same with clipping on or off, because clipping happens after backpropagation. Keeping the "
           "gradient alive over many steps needs a different cell: the LSTM and the GRU, on the next page.")
state.save()
