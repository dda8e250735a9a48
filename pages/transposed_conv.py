import streamlit as st

from playground.figures.vision.transposed import canvas_figure, input_figure, overlap_figure, stamp_figure
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.share import current_style
from playground.ui.stepper import step_through
from playground.ui.urlstate import PageState, choice, number
from playground.vision import transposed as tc

ensure_navigation()

state = PageState("tc", {
    "input": choice("2×2 ramp", tc.INPUT_NAMES),
    "kernel": choice("3×3 of ones", tc.KERNEL_NAMES),
    "stride": number(2, 1, 3),
    "padding": number(0, 0, 2),
    "output_padding": number(0, 0, 2),
    "step": number(1, 1),
})
for problem in state.restore():
    st.warning(problem)
style = current_style()

st.title("Transposed convolution, step by step")
st.caption("A convolution reads a window of the input to make one output value. A transposed convolution runs "
           "the other way: each input value **writes** a copy of the kernel, scaled by itself, into a window of "
           "the output, and where windows overlap the copies add up. The stride spaces the stamps apart; "
           "padding then crops the border off. This is how decoders, segmentation networks and GAN generators "
           "make small maps larger.")

# ---- The input, the kernel, the settings -------------------------------------------------------
left, right = st.columns(2)
input_name = state.selectbox("input", "Input", container=left)
left.caption(tc.INPUTS.info[input_name]["description"])
kernel_name = state.selectbox("kernel", "Kernel", container=right)
right.caption(tc.KERNELS.info[kernel_name]["description"])
image, kernel = tc.INPUTS[input_name], tc.KERNELS[kernel_name]

s1, s2, s3 = st.columns(3)
state.number_input("stride", "Stride", container=s1, help="How far apart neighbouring stamps land.")
state.number_input("padding", "Padding", container=s2, help="Rows and columns cropped from every side at the end.")
state.number_input("output_padding", "Output padding", container=s3,
                   help="Rows added at the bottom and columns at the right; must be smaller than the stride.")
settings = {"stride": state["stride"], "padding": state["padding"], "output_padding": state["output_padding"]}

st.markdown("**Output size** = (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1 "
            "(dilation is 1 here)")
for axis, n, k in (("height", image.shape[0], kernel.shape[0]), ("width", image.shape[1], kernel.shape[1])):
    st.markdown(f"**Output {axis}:** " + tc.explain_output_size(n, k, **settings))
try:
    walk = tc.walk(image, kernel, **settings)
except ValueError as e:
    walk = None
    st.error(str(e), icon=":material/block:")

# ---- Step by step -------------------------------------------------------------------------------
if walk is not None:
    st.subheader("Stamp by stamp")
    count = len(walk.stamps)
    at = step_through(state, "step", count, key="tc",
                      single="The input holds a single value, so there is a single stamp: the output is the "
                             "kernel times that value, cropped.")
    stamp = walk.stamps[at - 1]
    c1, c2 = st.columns([2, 3])
    chart(input_figure(walk.image, current=(stamp.row, stamp.col), style=style), key="tc.fig.input", container=c1)
    chart(stamp_figure(walk.kernel, stamp.value, stamp.scaled, style=style), key="tc.fig.stamp", container=c2)
    st.markdown(f"Stamp {at} of {count}. " + walk.explain(at))
    chart(canvas_figure(stamp.running, window=walk.window(at), crop=walk.crop, style=style), key="tc.fig.canvas")
    st.caption("Solid outline: the window this stamp wrote. Dashed outline: the part kept as the output. "
               "Hatched cells: the padding border that cropping removes at the end.")

    if at == count:
        st.subheader("The output")
        out_h, out_w = walk.output.shape
        chart(canvas_figure(walk.output, title=f"final output {out_h}×{out_w}", style=style), key="tc.fig.output")
        reference = tc.torch_output(image, kernel, **settings)
        difference = float(abs(reference - walk.output).max())
        st.success(f"Cropping {walk.padding} from every side leaves the {out_h}×{out_w} output. "
                   f"torch.nn.functional.conv_transpose2d computes the same {out_h}×{out_w} grid: the largest "
                   f"difference is {difference:g}.", icon=":material/check_circle:")
    else:
        st.caption(f"Step to stamp {count} to see the cropped output next to PyTorch's.")

# ---- Why checkerboards? --------------------------------------------------------------------------
st.subheader("Why checkerboards?")
st.markdown("Count how many stamps land on each output pixel (a flat input of ones, a kernel of ones). When "
            "the kernel size is not a multiple of the stride, neighbouring pixels get different counts, so "
            "even a flat input comes out striped. A trained network has to fight this pattern, and often "
            "does not quite manage: generated images show a faint checkerboard.")
o1, o2 = st.columns(2)
uneven = tc.overlap_counts((4, 4), 3, 2, 1, output_padding=1)
even = tc.overlap_counts((4, 4), 4, 2, 1)
chart(overlap_figure(uneven, title="kernel 3, stride 2", style=style), key="tc.fig.overlap3", container=o1)
o1.caption("4×4 ones, padding 1, output padding 1. " + tc.explain_overlap(3, 2))
chart(overlap_figure(even, title="kernel 4, stride 2", style=style), key="tc.fig.overlap4", container=o2)
o2.caption("4×4 ones, padding 1. " + tc.explain_overlap(4, 2))
st.markdown("The usual fix is to **resize, then convolve**: first enlarge the map with nearest-neighbour or "
            "bilinear resizing, then apply an ordinary stride-1 convolution, so every output pixel is made "
            "the same way (Odena, Dumoulin & Olah, *Deconvolution and Checkerboard Artifacts*, Distill 2016).")
if walk is not None:
    k = kernel.shape[0]
    st.caption("Your setting: " + tc.explain_overlap(k, state["stride"]))
    chart(overlap_figure(tc.overlap_counts(image.shape, k, **settings), title="stamps per output pixel, your "
                         "setting", style=style), key="tc.fig.overlap_yours")

state.save()
