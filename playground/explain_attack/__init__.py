"""Explain & attack: attribution maps, images a network wants to see, adversarial examples."""
