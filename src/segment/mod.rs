//! Customer segmentation: k-means clustering, feature scaling and cluster quality.
