def forward(self):
    pass

def class(x):
    pass
