"""scikit-learn's models on `mlops export --matrix` output: the same features, the same
time-based parts. Prints {model: {fit_seconds, auc}} as JSON."""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

path = sys.argv[1]
with open(path) as f:
    header = f.readline().strip().split(",")
    part = np.array([line.rstrip("\n").rsplit(",", 1)[1] for line in f])
data = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=range(len(header) - 1))
x, y = data[:, :-1], data[:, -1]
train, test = part == "train", part == "test"

models = {
    "HistGradientBoosting": HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, random_state=42),
    "LogisticRegression": make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)
    ),
}
out = {}
for name, model in models.items():
    started = time.perf_counter()
    model.fit(x[train], y[train])
    fit = time.perf_counter() - started
    auc = roc_auc_score(y[test], model.predict_proba(x[test])[:, 1])
    out[name] = {"fit_seconds": fit, "auc": auc}
    print(f"{name}: fit {fit:.2f} s, test AUC {auc:.4f}", file=sys.stderr)
print(json.dumps(out))
