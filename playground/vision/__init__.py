"""Beyond classification: boxes (IoU, non-maximum suppression, average precision), the YOLO grid,
anchors, transposed convolution, segmentation and transfer learning."""
